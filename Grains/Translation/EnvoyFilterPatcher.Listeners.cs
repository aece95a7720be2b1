using Envoy.Config.Listener.V3;
using Envoy.Extensions.Filters.Network.HttpConnectionManager.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Translation;

/// <summary>LISTENER, FILTER_CHAIN, NETWORK_FILTER and HTTP_FILTER patches (Istio's listener_patch.go).</summary>
public static partial class EnvoyFilterPatcher
{
    private static List<Listener> PatchListeners(Run run, List<Listener> listeners)
    {
        var kept = new List<Listener>(listeners.Count);
        foreach (var listener in listeners)
        {
            var inbound = listener.Name == VirtualInbound || listener.Name.StartsWith("inbound", StringComparison.Ordinal);
            var context = ContextOf(run.Context.Kind, inbound);
            if (PatchListener(run, context, listener))
            {
                kept.Add(listener);
            }
        }

        foreach (var patch in run.Patches(EnvoyFilterApplyTo.Listener))
        {
            if (patch.Operation == EnvoyFilterOperation.Add && AddsFor(patch.Match.Context, run.Context))
            {
                var added = patch.Copy<Listener>();
                if (added.Address is not { SocketAddress: not null } and not { Pipe: not null })
                {
                    // Envoy rejects a listener without an address, and with it every listener of the update.
                    run.Fail(patch, $"the added Listener {added.Name} has no address (socket_address or pipe), which Envoy rejects: it is not added");
                    continue;
                }

                kept.Add(added);
                run.Applied(patch);
            }
        }

        return kept;
    }

    /// <summary>Patches one listener; false when a patch removed it.</summary>
    private static bool PatchListener(Run run, EnvoyFilterContext context, Listener listener)
    {
        foreach (var patch in run.Patches(EnvoyFilterApplyTo.Listener))
        {
            if (!ContextMatches(patch.Match.Context, context) || !ListenerMatches(listener, patch))
            {
                continue;
            }

            if (patch.Operation == EnvoyFilterOperation.Remove)
            {
                run.Applied(patch);
                return false;
            }

            if (patch.Operation == EnvoyFilterOperation.Merge)
            {
                ProtoMerge.Merge(listener, patch.Value!);
                run.Applied(patch);
            }
        }

        var removed = new HashSet<FilterChain>(ReferenceEqualityComparer.Instance);
        foreach (var chain in listener.FilterChains)
        {
            if (!PatchFilterChain(run, context, listener, chain))
            {
                removed.Add(chain);
            }
        }

        if (listener.DefaultFilterChain is { } defaultChain && !PatchFilterChain(run, context, listener, defaultChain))
        {
            listener.DefaultFilterChain = null;
        }

        foreach (var patch in run.Patches(EnvoyFilterApplyTo.FilterChain))
        {
            if (patch.Operation == EnvoyFilterOperation.Add && ContextMatches(patch.Match.Context, context) && ListenerMatches(listener, patch))
            {
                listener.FilterChains.Add(patch.Copy<FilterChain>());
                run.Applied(patch);
            }
        }

        if (removed.Count > 0)
        {
            var chains = listener.FilterChains.Where(c => !removed.Contains(c)).ToList();
            listener.FilterChains.Clear();
            listener.FilterChains.AddRange(chains);
        }

        return true;
    }

    /// <summary>Patches one filter chain; false when a patch removed it.</summary>
    private static bool PatchFilterChain(Run run, EnvoyFilterContext context, Listener listener, FilterChain chain)
    {
        foreach (var patch in run.Patches(EnvoyFilterApplyTo.FilterChain))
        {
            if (patch.Operation is not (EnvoyFilterOperation.Remove or EnvoyFilterOperation.Merge)
                || !ContextMatches(patch.Match.Context, context) || !ListenerMatches(listener, patch) || !FilterChainMatches(listener, chain, patch))
            {
                continue;
            }

            if (patch.Operation == EnvoyFilterOperation.Remove)
            {
                run.Applied(patch);
                return false;
            }

            // Istio: a transport socket of the same name as the chain's has its typed_config merged,
            // and then nothing else of the value is merged.
            var value = (FilterChain)patch.Value!;
            if (value.TransportSocket is { } socket && chain.TransportSocket is { } existing && socket.Name == existing.Name)
            {
                if (socket.TypedConfig is not null && existing.TypedConfig is not null)
                {
                    if (MergeTypedConfig(run, patch, existing.TypedConfig, socket.TypedConfig, $"listener {listener.Name} filter chain '{chain.Name}' transport socket") is not { } merged)
                    {
                        continue;
                    }

                    existing.TypedConfig = merged;
                }

                run.Applied(patch);
                continue;
            }

            ProtoMerge.Merge(chain, value);
            run.Applied(patch);
        }

        PatchNetworkFilters(run, context, listener, chain);
        return true;
    }

    private static void PatchNetworkFilters(Run run, EnvoyFilterContext context, Listener listener, FilterChain chain)
    {
        foreach (var patch in run.Patches(EnvoyFilterApplyTo.NetworkFilter))
        {
            if (patch.Operation == EnvoyFilterOperation.Merge
                || !ContextMatches(patch.Match.Context, context) || !ListenerMatches(listener, patch) || !FilterChainMatches(listener, chain, patch))
            {
                continue;
            }

            var named = patch.Match.Listener?.FilterName;
            if (ApplyListOperation(chain.Filters, patch, named is null ? null : f => f.Name == named))
            {
                run.Applied(patch);
            }
        }

        foreach (var filter in chain.Filters)
        {
            PatchNetworkFilter(run, context, listener, chain, filter);
        }
    }

    private static void PatchNetworkFilter(Run run, EnvoyFilterContext context, Listener listener, FilterChain chain, Filter filter)
    {
        foreach (var patch in run.Patches(EnvoyFilterApplyTo.NetworkFilter))
        {
            if (patch.Operation != EnvoyFilterOperation.Merge
                || !ContextMatches(patch.Match.Context, context) || !ListenerMatches(listener, patch) || !FilterChainMatches(listener, chain, patch)
                || patch.Match.Listener?.FilterName is { } name && name != filter.Name
                || filter.TypedConfig is null)
            {
                continue;
            }

            var value = (Filter)patch.Value!;
            Any? merged = null;
            if (value.TypedConfig is not null
                && (merged = MergeTypedConfig(run, patch, filter.TypedConfig, value.TypedConfig, $"listener {listener.Name} filter {filter.Name}")) is null)
            {
                continue;
            }

            if (value.Name.Length > 0)
            {
                filter.Name = value.Name;
            }

            if (merged is not null)
            {
                filter.TypedConfig = merged;
            }

            run.Applied(patch);
        }

        if (filter.Name == HttpConnectionManager)
        {
            PatchHttpFilters(run, context, listener, chain, filter);
        }
    }

    private static void PatchHttpFilters(Run run, EnvoyFilterContext context, Listener listener, FilterChain chain, Filter filter)
    {
        var patches = run.Patches(EnvoyFilterApplyTo.HttpFilter)
            .Where(p => ContextMatches(p.Match.Context, context) && ListenerMatches(listener, p) && FilterChainMatches(listener, chain, p)
                && (p.Match.Listener?.FilterName is not { } name || name == filter.Name))
            .ToList();
        if (patches.Count == 0 || filter.TypedConfig is null || !filter.TypedConfig.Is(Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager.Descriptor))
        {
            return;
        }

        var manager = filter.TypedConfig.Unpack<Envoy.Extensions.Filters.Network.HttpConnectionManager.V3.HttpConnectionManager>();
        var changed = false;
        foreach (var patch in patches.Where(p => p.Operation != EnvoyFilterOperation.Merge))
        {
            var named = patch.Match.Listener?.SubFilterName;
            if (ApplyListOperation(manager.HttpFilters, patch, named is null ? null : f => f.Name == named))
            {
                run.Applied(patch);
                changed = true;
            }
        }

        foreach (var httpFilter in manager.HttpFilters)
        {
            foreach (var patch in patches.Where(p => p.Operation == EnvoyFilterOperation.Merge))
            {
                if (patch.Match.Listener?.SubFilterName is { } name && name != httpFilter.Name || httpFilter.TypedConfig is null)
                {
                    continue;
                }

                var value = (HttpFilter)patch.Value!;
                Any? merged = null;
                if (value.TypedConfig is not null
                    && (merged = MergeTypedConfig(run, patch, httpFilter.TypedConfig, value.TypedConfig, $"listener {listener.Name} HTTP filter {httpFilter.Name}")) is null)
                {
                    continue;
                }

                if (value.Name.Length > 0)
                {
                    httpFilter.Name = value.Name;
                }

                if (merged is not null)
                {
                    httpFilter.TypedConfig = merged;
                }

                run.Applied(patch);
                changed = true;
            }
        }

        if (changed)
        {
            filter.TypedConfig = Any.Pack(manager);
        }
    }

    /// <summary>
    /// ADD, INSERT_FIRST, INSERT_BEFORE, INSERT_AFTER, REPLACE or REMOVE of <paramref name="patch"/>
    /// on a list of filters, as Istio places them: relative to the first item
    /// <paramref name="matches"/> picks, or, with no item match in the patch, INSERT_BEFORE first and
    /// INSERT_AFTER last (REPLACE and REMOVE then do nothing). True when the list changed.
    /// </summary>
    private static bool ApplyListOperation<T>(Google.Protobuf.Collections.RepeatedField<T> items, Active patch, Func<T, bool>? matches)
        where T : IMessage
    {
        switch (patch.Operation)
        {
            case EnvoyFilterOperation.Add:
                items.Add(patch.Copy<T>());
                return true;
            case EnvoyFilterOperation.InsertFirst:
                items.Insert(0, patch.Copy<T>());
                return true;
            case EnvoyFilterOperation.InsertBefore when matches is null:
                items.Insert(0, patch.Copy<T>());
                return true;
            case EnvoyFilterOperation.InsertAfter when matches is null:
                items.Add(patch.Copy<T>());
                return true;
            case EnvoyFilterOperation.InsertBefore or EnvoyFilterOperation.InsertAfter or EnvoyFilterOperation.Replace when FirstIndex(items, matches!) is var at && at >= 0:
                if (patch.Operation == EnvoyFilterOperation.Replace)
                {
                    items[at] = patch.Copy<T>();
                }
                else
                {
                    items.Insert(patch.Operation == EnvoyFilterOperation.InsertBefore ? at : at + 1, patch.Copy<T>());
                }

                return true;
            case EnvoyFilterOperation.Remove when matches is not null:
                var kept = items.Where(i => !matches(i)).ToList();
                if (kept.Count == items.Count)
                {
                    return false;
                }

                items.Clear();
                items.AddRange(kept);
                return true;
            default:
                return false;
        }
    }

    private static int FirstIndex<T>(IList<T> items, Func<T, bool> matches)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (matches(items[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Istio's <c>listenerMatch</c>: the name, and the port of the listener's address; for patches
    /// below the listener, <c>virtualInbound</c> and <c>virtualOutbound</c> match any port (their
    /// filter chains are matched by destination port instead).
    /// </summary>
    private static bool ListenerMatches(Listener listener, Active patch)
    {
        if (patch.Match.Listener is not { } match)
        {
            return true;
        }

        if (match.Name is { } name && name != listener.Name)
        {
            return false;
        }

        if (patch.Spec.ApplyTo != EnvoyFilterApplyTo.Listener && listener.Name is VirtualInbound or VirtualOutbound)
        {
            return true;
        }

        return match.PortNumber == 0 || listener.Address?.SocketAddress is { } socket && socket.PortValue == match.PortNumber;
    }

    /// <summary>Istio's <c>filterChainMatch</c>.</summary>
    private static bool FilterChainMatches(Listener listener, FilterChain chain, Active patch)
    {
        if (patch.Match.Listener is not { } match)
        {
            return true;
        }

        var chainMatch = chain.FilterChainMatch;
        if (listener.Name is VirtualInbound or VirtualOutbound && match.PortNumber > 0 && (chainMatch?.DestinationPort ?? 0) != match.PortNumber)
        {
            return false;
        }

        if (match.FilterChainName is { } name && name != chain.Name)
        {
            return false;
        }

        if (match.Sni is { } sni && chainMatch?.ServerNames.Contains(sni) is not true)
        {
            return false;
        }

        if (match.TransportProtocol is { } transport && chainMatch?.TransportProtocol != transport)
        {
            return false;
        }

        if (match.ApplicationProtocols is { } protocols
            && (chainMatch is null || protocols.Split(',').Any(p => !chainMatch.ApplicationProtocols.Contains(p))))
        {
            return false;
        }

        return match.DestinationPort == 0 || chainMatch?.DestinationPort == match.DestinationPort;
    }
}

using Mesh.Orleans.Grains.Interfaces.Model;

namespace Mesh.Orleans.Grains.Registry;

/// <summary>
/// Which workload serves what, by IP: a member cluster's EndpointSlices read the other way
/// round. A workload (a pod's sidecar) is found as Istio finds a proxy's service targets: the
/// endpoints at its IP, whatever Service they belong to. Its ports are the slices' ports (the
/// Services' target ports), each with the protocol its Service declares for it (the slice port
/// carries the Service port's name; the Service adds <c>appProtocol</c>). A change reports the
/// IPs whose workloads it may have changed, so only their watchers are told.
/// </summary>
public sealed class WorkloadIndex
{
    private readonly Dictionary<(string Namespace, string Name), MeshEndpointSlice> _slices = [];
    private readonly Dictionary<(string Namespace, string Name), MeshService> _services = [];
    private readonly Dictionary<string, HashSet<(string Namespace, string Name)>> _slicesByIp = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Service), HashSet<(string Namespace, string Name)>> _slicesByService = [];

    /// <summary>Replaces everything with <paramref name="objects"/>; returns the IPs found before or after.</summary>
    public HashSet<string> Replace(IEnumerable<object> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var affected = new HashSet<string>(_slicesByIp.Keys, StringComparer.Ordinal);
        _slices.Clear();
        _services.Clear();
        _slicesByIp.Clear();
        _slicesByService.Clear();
        affected.UnionWith(Change(objects, []));
        return affected;
    }

    /// <summary>Applies upserts and deletions; returns the IPs whose workloads they may have changed.</summary>
    public HashSet<string> Change(IEnumerable<object> upserted, IEnumerable<MeshObjectKey> deleted)
    {
        ArgumentNullException.ThrowIfNull(upserted);
        ArgumentNullException.ThrowIfNull(deleted);
        var affected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in deleted)
        {
            if (key.Kind == "EndpointSlice")
            {
                RemoveSlice((key.Namespace, key.Name), affected);
            }
            else if (key.Kind == "Service" && _services.Remove((key.Namespace, key.Name)))
            {
                AddIpsOfService((key.Namespace, key.Name), affected);
            }
        }

        foreach (var value in upserted)
        {
            switch (value)
            {
                case MeshEndpointSlice slice:
                    RemoveSlice((slice.Namespace, slice.Name), affected);
                    AddSlice(slice, affected);
                    break;
                case MeshService service:
                    _services.TryGetValue((service.Namespace, service.Name), out var old);
                    _services[(service.Namespace, service.Name)] = service;
                    if (old is null || !old.Ports.SequenceEqual(service.Ports))
                    {
                        AddIpsOfService((service.Namespace, service.Name), affected);
                    }

                    break;
            }
        }

        return affected;
    }

    /// <summary>What the workload at <paramref name="ip"/> serves: every port of every slice listing the IP, by port number.</summary>
    public WorkloadInputs InputsOf(string ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (!_slicesByIp.TryGetValue(ip, out var keys))
        {
            return WorkloadInputs.None;
        }

        var ports = new SortedDictionary<int, MeshProtocol>();
        foreach (var key in keys.Order(SliceKeyComparer.Instance))
        {
            var slice = _slices[key];
            _services.TryGetValue((slice.Namespace, slice.ServiceName), out var service);
            foreach (var port in slice.Ports)
            {
                if (port.Port is not { } number)
                {
                    continue;
                }

                var declared = service?.Ports.FirstOrDefault(p => p.Name == port.Name);
                var protocol = MeshProtocols.Infer(port.Name, declared?.AppProtocol, port.Protocol);

                // Two Services naming one port differently: the first (by slice) decides, as a port has one protocol.
                ports.TryAdd(number, protocol);
            }
        }

        return new WorkloadInputs(ports.Select(p => new WorkloadPort(p.Key, p.Value)).ToList());
    }

    private void AddSlice(MeshEndpointSlice slice, HashSet<string> affected)
    {
        var key = (slice.Namespace, slice.Name);
        _slices[key] = slice;
        Set(_slicesByService, (slice.Namespace, slice.ServiceName)).Add(key);
        foreach (var ip in IpsOf(slice))
        {
            Set(_slicesByIp, ip).Add(key);
            affected.Add(ip);
        }
    }

    private void RemoveSlice((string Namespace, string Name) key, HashSet<string> affected)
    {
        if (!_slices.Remove(key, out var slice))
        {
            return;
        }

        if (_slicesByService.TryGetValue((slice.Namespace, slice.ServiceName), out var ofService) && ofService.Remove(key) && ofService.Count == 0)
        {
            _slicesByService.Remove((slice.Namespace, slice.ServiceName));
        }

        foreach (var ip in IpsOf(slice))
        {
            if (_slicesByIp.TryGetValue(ip, out var keys) && keys.Remove(key) && keys.Count == 0)
            {
                _slicesByIp.Remove(ip);
            }

            affected.Add(ip);
        }
    }

    private void AddIpsOfService((string Namespace, string Name) service, HashSet<string> affected)
    {
        if (_slicesByService.TryGetValue(service, out var keys))
        {
            foreach (var key in keys)
            {
                affected.UnionWith(IpsOf(_slices[key]));
            }
        }
    }

    private static IEnumerable<string> IpsOf(MeshEndpointSlice slice) =>
        slice.Endpoints.SelectMany(e => e.Addresses).Distinct(StringComparer.Ordinal);

    private static HashSet<TValue> Set<TKey, TValue>(Dictionary<TKey, HashSet<TValue>> map, TKey key)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var set))
        {
            set = [];
            map.Add(key, set);
        }

        return set;
    }

    private sealed class SliceKeyComparer : IComparer<(string Namespace, string Name)>
    {
        public static SliceKeyComparer Instance { get; } = new();

        public int Compare((string Namespace, string Name) x, (string Namespace, string Name) y)
        {
            var byNamespace = string.CompareOrdinal(x.Namespace, y.Namespace);
            return byNamespace != 0 ? byNamespace : string.CompareOrdinal(x.Name, y.Name);
        }
    }
}

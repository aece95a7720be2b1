using Mesh.Orleans.Grains.Interfaces.Xds;

namespace Mesh.Orleans.Xds.Frontend;

/// <summary>
/// A whole-mesh scope as one feed, though several grains hold it (its shards, see
/// <c>ScopeNames.GrainsOf</c>): their snapshots make one snapshot and their updates one
/// sequence of updates, with a generation and epoch of its own, so a <see cref="ResourceCache"/>
/// mirrors the union as it mirrors one grain. It remembers the generation and epoch it holds of
/// each part; an update that does not follow on from them ends the sequence with an update the
/// cache cannot apply, so the cache resyncs, and a renewal finding a part ahead reports the union
/// behind. Updates arriving while a snapshot is read are folded into it rather than lost. A
/// resync keeps the generation and moves the epoch on, so the cache sends its streams only what
/// changed.
/// </summary>
internal sealed class WholeMeshSubscription(string scope, IReadOnlyList<string> parts)
{
    private readonly object _gate = new();
    private readonly Guid _generation = Guid.NewGuid();
    private Dictionary<string, (Guid Generation, long Epoch)> _held = new(StringComparer.Ordinal);
    private List<ScopeUpdate>? _buffer;
    private bool _broken = true;
    private long _epoch;

    /// <summary>How many times a snapshot is read again when updates read meanwhile leave a gap.</summary>
    public const int SnapshotAttempts = 4;

    /// <summary>The whole-mesh scope's name.</summary>
    public string Scope { get; } = scope;

    /// <summary>The grain keys of its parts.</summary>
    public IReadOnlyList<string> Parts { get; } = parts;

    /// <summary>Where the union's updates go (the cache's subscription).</summary>
    public Action<ScopeUpdate> OnUpdate { get; set; } = _ => { };

    /// <summary>Takes an update of one part (its observer's callback).</summary>
    public void Receive(ScopeUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_gate)
        {
            if (_buffer is not null)
            {
                _buffer.Add(update);
                return;
            }

            if (_broken || !_held.TryGetValue(update.Scope, out var held)
                || (update.Generation == held.Generation && update.ToEpoch <= held.Epoch))
            {
                return;
            }

            ScopeUpdate forward;
            if (update.Generation != held.Generation || update.FromEpoch != held.Epoch)
            {
                // A part moved on unseen (a lost update, a new activation): the cache must resync.
                _broken = true;
                forward = new ScopeUpdate(Scope, _generation, _epoch + 1, _epoch + 2, [], []);
            }
            else
            {
                _held[update.Scope] = (held.Generation, update.ToEpoch);
                forward = new ScopeUpdate(Scope, _generation, _epoch, _epoch + 1, update.Upserted, update.Removed);
                _epoch++;
            }

            // Under the lock, so the cache sees the union's updates in their order.
            OnUpdate(forward);
        }
    }

    /// <summary>
    /// Subscribes to every part (<paramref name="subscribePart"/>: a part's grain key and whether to
    /// read its resources) and returns the union's header, or its snapshot when
    /// <paramref name="includeResources"/>.
    /// </summary>
    public async Task<ScopeSnapshot> SubscribeAsync(Func<string, bool, Task<ScopeSnapshot>> subscribePart, bool includeResources)
    {
        ArgumentNullException.ThrowIfNull(subscribePart);
        if (!includeResources)
        {
            var headers = await Task.WhenAll(Parts.Select(p => subscribePart(p, false)));
            lock (_gate)
            {
                var behind = _broken || Parts.Zip(headers).Any(p =>
                    !_held.TryGetValue(p.First, out var held) || held.Generation != p.Second.Generation || held.Epoch < p.Second.Epoch);
                return new ScopeSnapshot(Scope, _generation, behind ? _epoch + 1 : _epoch, [], headers.All(h => h.Loaded));
            }
        }

        for (var attempt = 1; ; attempt++)
        {
            lock (_gate)
            {
                _buffer = [];
            }

            ScopeSnapshot[] snapshots;
            try
            {
                snapshots = await Task.WhenAll(Parts.Select(p => subscribePart(p, true)));
            }
            catch
            {
                lock (_gate)
                {
                    _buffer = null;
                    _broken = true;
                }

                throw;
            }

            lock (_gate)
            {
                var buffered = _buffer!;
                _buffer = null;
                if (snapshots.Any(s => !s.Loaded))
                {
                    _broken = true;
                    return new ScopeSnapshot(Scope, _generation, _epoch, [], Loaded: false);
                }

                var held = new Dictionary<string, (Guid Generation, long Epoch)>(StringComparer.Ordinal);
                var resources = new List<XdsResource>();
                var gap = false;
                foreach (var (part, snapshot) in Parts.Zip(snapshots))
                {
                    var (epoch, partGap) = FoldInto(resources, snapshot, buffered.Where(u => u.Scope == part && u.Generation == snapshot.Generation));
                    gap |= partGap;
                    held[part] = (snapshot.Generation, epoch);
                }

                if (!gap || attempt >= SnapshotAttempts)
                {
                    // After the last attempt a part left behind shows at the next renewal.
                    _held = held;
                    _broken = false;
                    _epoch += 2;
                    return new ScopeSnapshot(Scope, _generation, _epoch, resources, Loaded: true);
                }
            }
        }
    }

    /// <summary>
    /// Adds a part's snapshot to <paramref name="resources"/> with the updates read after it that
    /// follow on from it; returns the epoch reached and whether an update left a gap.
    /// </summary>
    private static (long Epoch, bool Gap) FoldInto(List<XdsResource> resources, ScopeSnapshot snapshot, IEnumerable<ScopeUpdate> updates)
    {
        var later = updates.Where(u => u.ToEpoch > snapshot.Epoch).OrderBy(u => u.FromEpoch).ToList();
        if (later.Count == 0)
        {
            resources.AddRange(snapshot.Resources);
            return (snapshot.Epoch, false);
        }

        var byKey = new Dictionary<ResourceKey, XdsResource>();
        foreach (var resource in snapshot.Resources)
        {
            byKey[resource.Key] = resource;
        }

        var epoch = snapshot.Epoch;
        var gap = false;
        foreach (var update in later)
        {
            if (update.ToEpoch <= epoch)
            {
                continue;
            }

            if (update.FromEpoch != epoch)
            {
                gap = true;
                break;
            }

            foreach (var removed in update.Removed)
            {
                byKey.Remove(removed);
            }

            foreach (var upserted in update.Upserted)
            {
                byKey[upserted.Key] = upserted;
            }

            epoch = update.ToEpoch;
        }

        resources.AddRange(byKey.Values);
        return (epoch, gap);
    }
}

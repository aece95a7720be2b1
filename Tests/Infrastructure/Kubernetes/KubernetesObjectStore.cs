using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Infrastructure.Kubernetes;

/// <summary>
/// The fake API server's state, kept apart from its HTTP protocol: the objects (etcd), one global
/// increasing revision, a bounded history of changes (the watch cache) and the open watches. Every
/// member takes one lock, so a watch registers and replays history atomically with respect to
/// changes, and stored objects are only ever read or copied under it.
/// </summary>
internal sealed class KubernetesObjectStore
{
    private readonly object _lock = new();
    private readonly Dictionary<KubernetesResourceType, SortedDictionary<string, JsonObject>> _objects = [];
    private readonly LinkedList<KubernetesHistoryEntry> _history = new();
    private readonly HashSet<KubernetesResourceType> _installed = [];
    private readonly List<KubernetesWatch> _watches = [];
    private readonly int _historyLimit;
    private readonly TimeProvider _time;
    private long _revision = 1;
    private long _compacted = 1;

    public KubernetesObjectStore(int historyLimit, TimeProvider time, bool installCustomResources)
    {
        _historyLimit = historyLimit;
        _time = time;
        foreach (var type in KubernetesResourceTypes.All)
        {
            _objects[type] = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            if (!type.IsCustom || installCustomResources)
            {
                _installed.Add(type);
            }
        }
    }

    /// <summary>The current revision, which the next list reports as its resourceVersion.</summary>
    public long Revision
    {
        get
        {
            lock (_lock)
            {
                return _revision;
            }
        }
    }

    /// <summary>Whether <paramref name="type"/> is served (core types always; custom ones while their CRD is installed).</summary>
    public bool IsInstalled(KubernetesResourceType type)
    {
        lock (_lock)
        {
            return _installed.Contains(type);
        }
    }

    /// <summary>The served types, in registry order.</summary>
    public IReadOnlyList<KubernetesResourceType> InstalledTypes()
    {
        lock (_lock)
        {
            return KubernetesResourceTypes.All.Where(_installed.Contains).ToList();
        }
    }

    /// <summary>
    /// Creates or updates the object, as <c>kubectl apply</c> would; returns a copy of what is stored.
    /// An update that changes nothing but server-set metadata writes nothing and sends no event, as
    /// the API server skips an unchanged write.
    /// </summary>
    public JsonObject Apply(JsonObject source)
    {
        ArgumentNullException.ThrowIfNull(source);
        lock (_lock)
        {
            var candidate = (JsonObject)source.DeepClone();
            var kind = candidate["kind"]?.GetValue<string>() ?? throw new ArgumentException("The object has no kind.", nameof(source));
            var apiVersion = candidate["apiVersion"]?.GetValue<string>();
            var type = KubernetesResourceTypes.FindByKind(apiVersion, kind)
                ?? throw new ArgumentException($"The fake serves no kind {kind} ({apiVersion}).", nameof(source));
            if (!_installed.Contains(type))
            {
                throw new InvalidOperationException($"The CRD of {type.Resource}.{type.Group} is not installed; the API server would refuse {kind} objects.");
            }

            candidate["apiVersion"] = type.ApiVersion;
            candidate["kind"] = type.Kind;
            var metadata = candidate["metadata"] as JsonObject ?? new JsonObject();
            candidate["metadata"] = metadata;
            var name = metadata["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                throw new ArgumentException($"The {kind} has no metadata.name.", nameof(source));
            }

            string? @namespace = null;
            if (type.Namespaced)
            {
                @namespace = metadata["namespace"]?.GetValue<string>() ?? "default";
                metadata["namespace"] = @namespace;
            }
            else
            {
                metadata.Remove("namespace");
            }

            var key = Key(@namespace, name);
            var objects = _objects[type];
            objects.TryGetValue(key, out var existing);
            if (existing is not null)
            {
                var existingMetadata = (JsonObject)existing["metadata"]!;
                metadata["uid"] = existingMetadata["uid"]!.DeepClone();
                metadata["creationTimestamp"] = existingMetadata["creationTimestamp"]!.DeepClone();
                metadata["resourceVersion"] = existingMetadata["resourceVersion"]!.DeepClone();
                metadata["generation"] = existingMetadata["generation"]!.DeepClone();
                if (JsonNode.DeepEquals(candidate, existing))
                {
                    return (JsonObject)existing.DeepClone();
                }

                var generation = existingMetadata["generation"]!.GetValue<long>();
                metadata["generation"] = JsonNode.DeepEquals(candidate["spec"], existing["spec"]) ? generation : generation + 1;
            }
            else
            {
                metadata["uid"] = Guid.NewGuid().ToString();
                metadata["creationTimestamp"] = _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                metadata["generation"] = 1L;
            }

            _revision++;
            metadata["resourceVersion"] = Text(_revision);
            objects[key] = candidate;
            Record(new KubernetesHistoryEntry(_revision, type, @namespace, key, existing, candidate, EventLine(existing is null ? "ADDED" : "MODIFIED", candidate)));
            return (JsonObject)candidate.DeepClone();
        }
    }

    /// <summary>
    /// Deletes the object. A normal delete sends DELETED, carrying the object as it was with the
    /// deletion's revision. A silent delete still moves the revision on, as the write would in etcd,
    /// but leaves no event and no history: only a relist can notice it.
    /// </summary>
    public bool Delete(KubernetesResourceType type, string? @namespace, string name, bool silently)
    {
        lock (_lock)
        {
            var key = Key(type.Namespaced ? @namespace ?? "default" : null, name);
            if (!_objects[type].Remove(key, out var existing))
            {
                return false;
            }

            _revision++;
            if (!silently)
            {
                var deleted = (JsonObject)existing.DeepClone();
                deleted["metadata"]!["resourceVersion"] = Text(_revision);
                Record(new KubernetesHistoryEntry(_revision, type, type.Namespaced ? @namespace ?? "default" : null, key, existing, null, EventLine("DELETED", deleted)));
            }

            return true;
        }
    }

    /// <summary>A copy of one object, or null.</summary>
    public JsonObject? Get(KubernetesResourceType type, string? @namespace, string name)
    {
        lock (_lock)
        {
            return _objects[type].TryGetValue(Key(@namespace, name), out var found) ? (JsonObject)found.DeepClone() : null;
        }
    }

    /// <summary>
    /// Lists <paramref name="type"/>: the current state, or the state at <paramref name="exactRevision"/>
    /// (<c>resourceVersionMatch=Exact</c>, and every page after the first, which stays consistent with
    /// the first page's revision, as etcd's paging does). A revision older than the compaction point
    /// fails with 410 Expired. With a <paramref name="selector"/>, a page holds up to <paramref name="limit"/>
    /// matching objects and, as the real server, no remaining item count: it would count objects
    /// that do not match.
    /// </summary>
    public KubernetesListSnapshot List(KubernetesResourceType type, string? @namespace, KubernetesFieldSelector? selector, long? exactRevision, string? startAfter, int? limit)
    {
        lock (_lock)
        {
            var revision = exactRevision ?? _revision;
            if (revision > _revision)
            {
                throw new KubernetesStatusException(504, "Timeout", $"Too large resource version: {revision}, current: {_revision}");
            }

            if (revision < _compacted)
            {
                throw KubernetesStatusException.Expired(startAfter is null
                    ? "The resourceVersion for the provided list is too old."
                    : "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            }

            var state = StateAt(type, revision);
            var matching = state
                .Where(pair => @namespace is null || pair.Key.StartsWith(@namespace + "/", StringComparison.Ordinal))
                .Where(pair => selector is null || selector.Matches(pair.Value))
                .Where(pair => startAfter is null || string.CompareOrdinal(pair.Key, startAfter) > 0)
                .ToList();
            var page = limit is > 0 ? matching.Take(limit.Value).ToList() : matching;
            var more = page.Count < matching.Count;
            return new KubernetesListSnapshot(
                page.Select(pair => (JsonObject)pair.Value.DeepClone()).ToList(),
                revision,
                more ? ContinueToken(revision, page[^1].Key) : null,
                more && selector is null ? matching.Count - page.Count : null);
        }
    }

    /// <summary>
    /// Opens a watch. Without a revision (absent or "0") it starts with ADDED for every current
    /// object, as the API server does; with one it replays every later change from history. A
    /// revision older than the compaction point yields a stream holding only the 410 ERROR event,
    /// already closed, as the real server answers (200, then one ERROR event, then the end). With a
    /// <paramref name="selector"/>, the stream carries only the objects it selects (see <see cref="EventFor"/>).
    /// </summary>
    public KubernetesWatch OpenWatch(KubernetesResourceType type, string? @namespace, KubernetesFieldSelector? selector, long? fromRevision, bool bookmarks)
    {
        lock (_lock)
        {
            var watch = new KubernetesWatch(type, @namespace, selector, bookmarks);
            if (fromRevision is null)
            {
                foreach (var (key, value) in _objects[type])
                {
                    if ((@namespace is null || key.StartsWith(@namespace + "/", StringComparison.Ordinal)) && (selector is null || selector.Matches(value)))
                    {
                        watch.Send(EventLine("ADDED", value));
                    }
                }
            }
            else if (fromRevision < _compacted)
            {
                var status = KubernetesStatusException.Status(410, "Expired", $"too old resource version: {fromRevision} ({_compacted})");
                watch.Send(new JsonObject { ["type"] = "ERROR", ["object"] = status }.ToJsonString());
                watch.Close();
                return watch;
            }
            else
            {
                foreach (var entry in _history)
                {
                    if (entry.Revision > fromRevision && watch.Matches(entry.Type, entry.Namespace) && EventFor(watch, entry) is { } line)
                    {
                        watch.Send(line);
                    }
                }
            }

            _watches.Add(watch);
            return watch;
        }
    }

    /// <summary>Forgets a watch whose stream has ended.</summary>
    public void CloseWatch(KubernetesWatch watch)
    {
        lock (_lock)
        {
            _watches.Remove(watch);
        }
    }

    /// <summary>How many watches of <paramref name="type"/> are open.</summary>
    public int WatchCount(KubernetesResourceType type)
    {
        lock (_lock)
        {
            return _watches.Count(watch => watch.Type == type);
        }
    }

    /// <summary>
    /// Sends a BOOKMARK with the current revision to every watch that allows them. Queued behind
    /// every event the watch already has, so the bookmark's promise holds: nothing up to its
    /// revision is still to come.
    /// </summary>
    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watch in _watches.Where(watch => watch.Bookmarks))
            {
                var bookmark = new JsonObject
                {
                    ["kind"] = watch.Type.Kind,
                    ["apiVersion"] = watch.Type.ApiVersion,
                    ["metadata"] = new JsonObject { ["resourceVersion"] = Text(_revision) },
                };
                watch.Send(EventLine("BOOKMARK", bookmark));
            }
        }
    }

    /// <summary>Drops the history up to now: a watch or exact list from an older revision gets 410.</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _history.Clear();
            _compacted = _revision;
        }
    }

    /// <summary>Aborts every open watch's connection.</summary>
    public void AbortWatches()
    {
        lock (_lock)
        {
            foreach (var watch in _watches)
            {
                watch.Abort();
            }

            _watches.Clear();
        }
    }

    /// <summary>Serves <paramref name="type"/> again.</summary>
    public void Install(KubernetesResourceType type)
    {
        lock (_lock)
        {
            _installed.Add(type);
        }
    }

    /// <summary>
    /// Stops serving <paramref name="type"/>: its objects are deleted (with DELETED events, as the
    /// CRD's finalizer deletes every instance) and its open watches then end cleanly.
    /// </summary>
    public void Uninstall(KubernetesResourceType type)
    {
        lock (_lock)
        {
            foreach (var key in _objects[type].Keys.ToList())
            {
                var existing = _objects[type][key];
                Delete(type, existing["metadata"]?["namespace"]?.GetValue<string>(), existing["metadata"]!["name"]!.GetValue<string>(), silently: false);
            }

            _installed.Remove(type);
            foreach (var watch in _watches.Where(watch => watch.Type == type).ToList())
            {
                watch.Close();
                _watches.Remove(watch);
            }
        }
    }

    /// <summary>Reads a continue token back into the revision and the last key served.</summary>
    public static (long Revision, string StartAfter) ParseContinueToken(string token)
    {
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
            var json = JsonNode.Parse(Convert.FromBase64String(padded))!;
            var start = json["start"]!.GetValue<string>();
            return (json["rv"]!.GetValue<long>(), start.TrimEnd('\0'));
        }
        catch (Exception exception) when (exception is FormatException or JsonException or NullReferenceException or InvalidOperationException)
        {
            throw new KubernetesStatusException(400, "BadRequest", "continue key is not valid: " + exception.Message);
        }
    }

    private static string ContinueToken(long revision, string lastKey)
    {
        // The API server's token is base64url JSON of the version, the revision and the next key
        // to start from (the last one served, followed by a NUL).
        var json = new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = revision, ["start"] = lastKey + "\0" }.ToJsonString();
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private SortedDictionary<string, JsonObject> StateAt(KubernetesResourceType type, long revision)
    {
        var state = new SortedDictionary<string, JsonObject>(_objects[type], StringComparer.Ordinal);
        for (var entry = _history.Last; entry is not null && entry.Value.Revision > revision; entry = entry.Previous)
        {
            if (entry.Value.Type != type)
            {
                continue;
            }

            if (entry.Value.Previous is null)
            {
                state.Remove(entry.Value.Key);
            }
            else
            {
                state[entry.Value.Key] = entry.Value.Previous;
            }
        }

        return state;
    }

    private void Record(KubernetesHistoryEntry entry)
    {
        _history.AddLast(entry);
        while (_history.Count > _historyLimit)
        {
            _compacted = _history.First!.Value.Revision;
            _history.RemoveFirst();
        }

        foreach (var watch in _watches)
        {
            if (watch.Matches(entry.Type, entry.Namespace) && EventFor(watch, entry) is { } line)
            {
                watch.Send(line);
            }
        }
    }

    /// <summary>
    /// The event <paramref name="watch"/> gets for <paramref name="entry"/>, or null when none. A
    /// watch with a field selector sees a change as the API server's watch cache shows it
    /// (<c>cacheWatcher.convertToWatchEvent</c>), by whether the object matched before and after:
    /// entering the selection is ADDED, staying in it MODIFIED, and leaving it (by a change or a
    /// delete) DELETED carrying the object as it last matched, at the change's revision. An object
    /// that matched neither before nor after is not sent.
    /// </summary>
    private static string? EventFor(KubernetesWatch watch, KubernetesHistoryEntry entry)
    {
        if (watch.Selector is not { } selector)
        {
            return entry.Line;
        }

        var matchesNow = entry.Current is not null && selector.Matches(entry.Current);
        var matchedBefore = entry.Previous is not null && selector.Matches(entry.Previous);
        switch (matchesNow, matchedBefore)
        {
            case (true, false):
                return EventLine("ADDED", entry.Current!);
            case (true, true):
                return entry.Line;
            case (false, true) when entry.Current is null:
                return entry.Line;
            case (false, true):
                var left = (JsonObject)entry.Previous!.DeepClone();
                left["metadata"]!["resourceVersion"] = Text(entry.Revision);
                return EventLine("DELETED", left);
            default:
                return null;
        }
    }

    private static string EventLine(string type, JsonObject value) =>
        new JsonObject { ["type"] = type, ["object"] = value.DeepClone() }.ToJsonString();

    private static string Key(string? @namespace, string name) => @namespace is null ? name : @namespace + "/" + name;

    private static string Text(long revision) => revision.ToString(CultureInfo.InvariantCulture);
}

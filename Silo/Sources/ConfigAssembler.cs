using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Silo.Sources.Objects;
using Mesh.Orleans.Silo.Sources.Yaml;

namespace Mesh.Orleans.Silo.Sources;

/// <summary>
/// Holds what a source read, file by file (a YAML file, or one object of a Kubernetes API),
/// and works out, per object, what the mesh should hold: the object's valid version, or the
/// last good one while its newest version is invalid or its file can no longer be read. Only
/// deleting an object (or its file) removes it. An object declared by two files is taken from
/// the first by path; the other copy is rejected as a duplicate.
/// </summary>
/// <remarks>
/// Incremental: <see cref="Set"/> and <see cref="Remove"/> cost what the file holds, not what
/// the source holds, and <see cref="TakeChanges"/> hands over only the objects whose served
/// version changed since the last call (recognised by instance: a file read again whose
/// documents are the same instances changes nothing). A Pod is handed over as its labels and IP
/// (<see cref="MeshPod"/>), and only when they changed: its status changes far more often, and
/// the mesh joins pods to endpoints by label (and to a ServiceEntry's workloadSelector by label and IP) only.
/// </remarks>
public sealed class ConfigAssembler
{
    private readonly Dictionary<string, FileEntry> _files = new(StringComparer.Ordinal);

    // Per object, the files that claim it, in path order; the first one's value is served.
    private readonly Dictionary<ObjectKey, List<Claim>> _claims = [];
    private readonly Dictionary<ObjectKey, Claim> _current = [];
    private readonly HashSet<ObjectKey> _contested = [];
    private readonly HashSet<string> _filesWithRejections = new(StringComparer.Ordinal);
    private readonly HashSet<ObjectKey> _dirty = [];
    private readonly Dictionary<ObjectKey, object> _sent = [];
    private readonly Dictionary<ObjectKey, IgnoredEntry> _ignored = [];
    private readonly SortedDictionary<string, int> _skipped = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _held = new(StringComparer.Ordinal);
    private IReadOnlyList<RejectedObject>? _rejected = [];
    private IReadOnlyList<RejectedObject> _sentRejected = [];
    private AssemblyReport? _report = AssemblyReport.Empty;

    /// <summary>
    /// What the source read beside the routing objects: objects that do not apply (listed with
    /// a reason), kinds the mesh does not read (counted), and how many objects of each kind are held.
    /// </summary>
    public AssemblyReport Report => _report ??= new AssemblyReport(
        _ignored.Values.OrderBy(i => i.ToString(), StringComparer.Ordinal).ToList(),
        new SortedDictionary<string, int>(_skipped, StringComparer.Ordinal),
        new SortedDictionary<string, int>(_held, StringComparer.Ordinal));

    /// <summary>Every rejection: invalid documents, unreadable files and duplicates, in file order.</summary>
    public IReadOnlyList<RejectedObject> Rejected => _rejected ??= CollectRejections();

    /// <summary>
    /// Makes <paramref name="files"/> the whole of what the source read: each is set, and any
    /// file held before and absent now is removed. Returns the cluster's declaration.
    /// </summary>
    public ClusterConfig Assemble(IEnumerable<ParsedFile> files)
    {
        Sync(files);
        return Declaration();
    }

    /// <summary>Makes <paramref name="files"/> the whole of what the source read, without building the declaration.</summary>
    public void Sync(IEnumerable<ParsedFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            seen.Add(file.Path);
            Set(file);
        }

        foreach (var path in _files.Keys.Where(p => !seen.Contains(p)).ToList())
        {
            Remove(path);
        }
    }

    /// <summary>Sets what one file holds now; the same instance as before changes nothing.</summary>
    public void Set(ParsedFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var path = file.Path;
        var old = _files.GetValueOrDefault(path);
        if (old is not null && ReferenceEquals(old.File, file))
        {
            return;
        }

        var claims = new List<Claim>();
        var rejections = new List<(RejectedObject Rejection, ObjectKey? Key)>();
        if (file.FileError is not null)
        {
            // Nothing can be read: the file keeps serving every object it served.
            foreach (var claim in old?.Claims ?? [])
            {
                if (Serves(claim.Key, path))
                {
                    claims.Add(claim with { Valid = false });
                }
            }

            rejections.Add((new RejectedObject(path, string.Empty, string.Empty, string.Empty, string.Empty, file.FileError, KeptLastGood: false), null));
        }
        else
        {
            var declared = new Dictionary<ObjectKey, bool>();
            foreach (var document in file.Documents)
            {
                if (document.Rejection is { } rejection)
                {
                    // An invalid version keeps the served one, if any and not already claimed here.
                    if (document.Key is { } key && declared.TryAdd(key, false) && _current.TryGetValue(key, out var served))
                    {
                        claims.Add(new Claim(key, path, served.Value, Valid: false));
                    }

                    rejections.Add((rejection, document.Key));
                    continue;
                }

                var objectKey = document.Key!.Value;
                if (!declared.TryAdd(objectKey, true))
                {
                    rejections.Add((Duplicate(objectKey, path, path), null));
                    continue;
                }

                claims.Add(new Claim(objectKey, path, document.Value!, Valid: true));
            }
        }

        var entry = new FileEntry(file, claims, rejections);
        _files[path] = entry;
        Reclaim(path, old?.Claims ?? [], claims);
        if (rejections.Count > 0 || _filesWithRejections.Contains(path))
        {
            _rejected = null;
        }

        if (rejections.Count > 0)
        {
            _filesWithRejections.Add(path);
        }
        else
        {
            _filesWithRejections.Remove(path);
        }
    }

    /// <summary>Forgets a file (deleted, or an API object gone): what only it declared is removed.</summary>
    public void Remove(string path)
    {
        if (!_files.Remove(path, out var old))
        {
            return;
        }

        if (_filesWithRejections.Remove(path))
        {
            _rejected = null;
        }

        Reclaim(path, old.Claims, []);
    }

    /// <summary>The cluster's whole declaration, as served now.</summary>
    public ClusterConfig Declaration() => ClusterConfig.Of(_current.Values.Select(c => ToMesh(c.Value)), Rejected);

    /// <summary>
    /// The routing objects whose served version changed since the last call, and the
    /// rejections when they changed; or, when <paramref name="full"/>, everything. Epoch and
    /// sequence are left for the caller to set.
    /// </summary>
    public ClusterChanges TakeChanges(bool full)
    {
        var services = new List<MeshService>();
        var slices = new List<MeshEndpointSlice>();
        var virtualServices = new List<VirtualServiceSpec>();
        var destinationRules = new List<DestinationRuleSpec>();
        var pods = new List<MeshPod>();
        var gateways = new List<GatewaySpec>();
        var serviceEntries = new List<ServiceEntrySpec>();
        var sidecars = new List<SidecarSpec>();
        var envoyFilters = new List<EnvoyFilterSpec>();
        var peerAuthentications = new List<PeerAuthenticationSpec>();
        var authorizationPolicies = new List<AuthorizationPolicySpec>();
        var secrets = new List<MeshSecret>();
        var deleted = new List<MeshObjectKey>();
        if (full)
        {
            _sent.Clear();
            foreach (var (key, claim) in _current)
            {
                if (IsRouting(claim.Value))
                {
                    var value = ToMesh(claim.Value);
                    _sent[key] = value;
                    Add(value);
                }
            }
        }
        else
        {
            foreach (var key in _dirty)
            {
                var value = _current.TryGetValue(key, out var claim) && IsRouting(claim.Value) ? claim.Value : null;
                var sent = _sent.GetValueOrDefault(key);
                if (ReferenceEquals(value, sent) || (value is PodInfo pod && sent is MeshPod sentPod && SameLabels(pod.Labels, sentPod.Labels) && string.Equals(pod.Ip, sentPod.Ip, StringComparison.Ordinal) && string.Equals(pod.ServiceAccount, sentPod.ServiceAccount, StringComparison.Ordinal)))
                {
                    continue;
                }

                value = value is null ? null : ToMesh(value);
                if (value is null)
                {
                    _sent.Remove(key);
                    deleted.Add(MeshObjectKey.Of(sent!));
                }
                else
                {
                    _sent[key] = value;
                    Add(value);
                }
            }
        }

        _dirty.Clear();
        var rejected = Rejected;
        var rejectedChanged = full || !rejected.SequenceEqual(_sentRejected);
        _sentRejected = rejected;
        return new ClusterChanges(Guid.Empty, 0, full, services, slices, virtualServices, deleted, rejectedChanged ? rejected : null, destinationRules, pods, gateways, serviceEntries)
        {
            Sidecars = sidecars,
            EnvoyFilters = envoyFilters,
            PeerAuthentications = peerAuthentications,
            AuthorizationPolicies = authorizationPolicies,
            Secrets = secrets,
        };

        void Add(object value)
        {
            switch (value)
            {
                case MeshService service:
                    services.Add(service);
                    break;
                case MeshEndpointSlice slice:
                    slices.Add(slice);
                    break;
                case VirtualServiceSpec virtualService:
                    virtualServices.Add(virtualService);
                    break;
                case DestinationRuleSpec destinationRule:
                    destinationRules.Add(destinationRule);
                    break;
                case MeshPod pod:
                    pods.Add(pod);
                    break;
                case GatewaySpec gateway:
                    gateways.Add(gateway);
                    break;
                case ServiceEntrySpec serviceEntry:
                    serviceEntries.Add(serviceEntry);
                    break;
                case SidecarSpec sidecar:
                    sidecars.Add(sidecar);
                    break;
                case EnvoyFilterSpec envoyFilter:
                    envoyFilters.Add(envoyFilter);
                    break;
                case PeerAuthenticationSpec peer:
                    peerAuthentications.Add(peer);
                    break;
                case AuthorizationPolicySpec policy:
                    authorizationPolicies.Add(policy);
                    break;
                case MeshSecret secret:
                    secrets.Add(secret);
                    break;
            }
        }
    }

    private static bool IsRouting(object value) => value is MeshService or MeshEndpointSlice or VirtualServiceSpec or DestinationRuleSpec or PodInfo or GatewaySpec or ServiceEntrySpec
        || value is SidecarSpec or EnvoyFilterSpec or PeerAuthenticationSpec or AuthorizationPolicySpec or MeshSecret;

    /// <summary>What the mesh is handed for a value read: a Pod's labels and IP, anything else as it is.</summary>
    private static object ToMesh(object value) => value is PodInfo pod ? new MeshPod(pod.Namespace, pod.Name, pod.Labels, string.IsNullOrEmpty(pod.Ip) ? null : pod.Ip, pod.ServiceAccount) : value;

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(l => b.TryGetValue(l.Key, out var value) && string.Equals(value, l.Value, StringComparison.Ordinal));

    private bool Serves(ObjectKey key, string path) => _current.TryGetValue(key, out var claim) && string.Equals(claim.Path, path, StringComparison.Ordinal);

    /// <summary>Replaces <paramref name="path"/>'s claims and settles who serves each object involved.</summary>
    private void Reclaim(string path, List<Claim> before, List<Claim> after)
    {
        foreach (var claim in before)
        {
            if (_claims.TryGetValue(claim.Key, out var list))
            {
                list.RemoveAll(c => string.Equals(c.Path, path, StringComparison.Ordinal));
            }
        }

        foreach (var claim in after)
        {
            if (!_claims.TryGetValue(claim.Key, out var list))
            {
                _claims[claim.Key] = list = new List<Claim>(1);
            }

            var at = list.FindIndex(c => string.CompareOrdinal(c.Path, path) > 0);
            list.Insert(at < 0 ? list.Count : at, claim);
        }

        foreach (var key in before.Select(c => c.Key).Concat(after.Select(c => c.Key)).Distinct())
        {
            Settle(key);
        }
    }

    private void Settle(ObjectKey key)
    {
        var list = _claims.GetValueOrDefault(key);
        if (list is { Count: 0 })
        {
            _claims.Remove(key);
            list = null;
        }

        // With several claimants, who lost may have changed; with one, a duplicate may be gone.
        if (list is { Count: > 1 })
        {
            _contested.Add(key);
            _rejected = null;
        }
        else if (_contested.Remove(key))
        {
            _rejected = null;
        }

        var had = _current.TryGetValue(key, out var before);
        var winner = list?[0];
        if (had && winner is { } now && ReferenceEquals(before.Value, now.Value) && string.Equals(before.Path, now.Path, StringComparison.Ordinal))
        {
            return;
        }

        if (had)
        {
            Count(key, before, -1);
            _current.Remove(key);
        }

        if (winner is { } served)
        {
            _current[key] = served;
            Count(key, served, +1);
        }

        _dirty.Add(key);
        _report = null;
        if (_filesWithRejections.Count > 0)
        {
            _rejected = null; // Whether a rejection kept its last good version may have changed.
        }
    }

    private void Count(ObjectKey key, Claim claim, int sign)
    {
        if (claim.Value is IgnoredObject { Quiet: true })
        {
            Add(_skipped, key.Kind, sign);
            return;
        }

        Add(_held, key.Kind, sign);
        if (claim.Value is IgnoredObject ignored)
        {
            if (sign > 0)
            {
                _ignored[key] = new IgnoredEntry(claim.Path, key.Kind, key.Namespace, key.Name, ignored.Reason);
            }
            else
            {
                _ignored.Remove(key);
            }
        }

        static void Add(SortedDictionary<string, int> counts, string kind, int sign)
        {
            var count = counts.GetValueOrDefault(kind) + sign;
            if (count > 0)
            {
                counts[kind] = count;
            }
            else
            {
                counts.Remove(kind);
            }
        }
    }

    private List<RejectedObject> CollectRejections()
    {
        var rejected = new List<RejectedObject>();
        foreach (var path in _filesWithRejections)
        {
            var entry = _files[path];
            foreach (var (rejection, key) in entry.Rejections)
            {
                var kept = key is { } objectKey
                    ? Serves(objectKey, path)
                    : rejection.Kind.Length == 0 && entry.File.FileError is not null && entry.Claims.Any(c => Serves(c.Key, path));
                rejected.Add(rejection with { KeptLastGood = kept });
            }
        }

        foreach (var key in _contested)
        {
            var list = _claims[key];
            foreach (var loser in list.Skip(1).Where(c => c.Valid))
            {
                rejected.Add(Duplicate(key, loser.Path, list[0].Path));
            }
        }

        // In file order; within a file, as its documents came (duplicates after).
        return rejected.Select((r, i) => (r, i)).OrderBy(x => x.r.Source, StringComparer.Ordinal).ThenBy(x => x.i).Select(x => x.r).ToList();
    }

    private static RejectedObject Duplicate(ObjectKey key, string path, string servedFrom) =>
        new(path, key.Kind, key.Namespace, key.Name, "metadata.name", $"duplicate: the same {key.Kind} is already declared in {servedFrom}", KeptLastGood: false);

    /// <summary>A file's claim on an object: the value it would serve, and whether it is the file's own valid version (not a last good one).</summary>
    private readonly record struct Claim(ObjectKey Key, string Path, object Value, bool Valid);

    private sealed record FileEntry(ParsedFile File, List<Claim> Claims, List<(RejectedObject Rejection, ObjectKey? Key)> Rejections);
}

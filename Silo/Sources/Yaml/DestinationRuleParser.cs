using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Mesh.Orleans.Grains.Interfaces.Xds;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>DestinationRule</c> (networking.istio.io v1, v1beta1,
/// v1alpha3) as Istio's validation would: a host, uniquely named subsets with labels, and traffic
/// policies (load balancer, connection pool, outlier detection, port-level settings) with their
/// ranges, and the locality load-balancer setting (<c>enabled</c>, region <c>failover</c>, locality
/// weights <c>distribute</c>). What needs what the mesh does not have yet is refused by name with
/// the reason: TLS modes that need certificates, <c>failoverPriority</c>, tunnels and proxy protocol.
/// </summary>
internal static class DestinationRuleParser
{
    private static readonly HashSet<string> s_specKeys = ["host", "subsets", "trafficPolicy", "exportTo", "workloadSelector"];
    private static readonly HashSet<string> s_subsetKeys = ["name", "labels", "trafficPolicy"];
    private static readonly HashSet<string> s_policyKeys = ["loadBalancer", "connectionPool", "outlierDetection", "tls", "portLevelSettings"];
    private static readonly HashSet<string> s_portPolicyKeys = ["port", "loadBalancer", "connectionPool", "outlierDetection", "tls"];
    private static readonly Dictionary<string, string> s_policyUnsupported = new()
    {
        ["tunnel"] = "tunnel settings are not supported",
        ["proxyProtocol"] = "proxyProtocol is not supported",
        ["retryBudget"] = "retryBudget is not supported yet",
    };

    private static readonly HashSet<string> s_loadBalancerKeys = ["simple", "consistentHash", "warmupDurationSecs", "warmup", "localityLbSetting"];
    private static readonly HashSet<string> s_localityKeys = ["enabled", "failover", "distribute"];
    private static readonly HashSet<string> s_distributeKeys = ["from", "to"];
    private static readonly Dictionary<string, string> s_localityUnsupported = new()
    {
        ["failoverPriority"] = "failoverPriority (failover by labels) is not supported yet; use failover (by region), or leave it out for failover by region and zone",
    };

    private static readonly HashSet<string> s_failoverKeys = ["from", "to"];

    private static readonly HashSet<string> s_hashKeys = ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName", "ringHash", "maglev", "minimumRingSize"];
    private static readonly HashSet<string> s_cookieKeys = ["name", "path", "ttl"];
    private static readonly HashSet<string> s_poolKeys = ["tcp", "http"];
    private static readonly HashSet<string> s_tcpKeys = ["maxConnections", "connectTimeout", "tcpKeepalive", "maxConnectionDuration", "idleTimeout"];
    private static readonly HashSet<string> s_httpKeys = ["http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection", "maxRetries", "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams"];
    private static readonly HashSet<string> s_outlierKeys = ["consecutive5xxErrors", "consecutiveGatewayErrors", "consecutiveLocalOriginFailures", "splitExternalLocalOriginErrors", "interval", "baseEjectionTime", "maxEjectionPercent", "minHealthPercent", "consecutiveErrors"];
    private static readonly HashSet<string> s_tlsKeys = ["mode", "sni", "subjectAltNames", "insecureSkipVerify", "clientCertificate", "privateKey", "caCertificates", "credentialName", "caCrl"];
    private static readonly HashSet<string> s_simple = ["UNSPECIFIED", "ROUND_ROBIN", "LEAST_REQUEST", "LEAST_CONN", "RANDOM", "PASSTHROUGH"];

    /// <summary>Parses the DestinationRule in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static DestinationRuleSpec Parse(YamlMappingNode root, string ns, string name)
    {
        YamlFields.RequireDnsSubdomain(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        var host = string.Empty;
        problems.Check(() =>
        {
            var text = YamlFields.RequiredString(spec, "host", "spec");
            VirtualServiceParser.ValidateHost(text, "spec.host");
            host = MeshNames.ResolveHost(text, ns);
        });

        var subsets = new List<SubsetSpec>();
        var subsetList = YamlFields.OptionalList(spec, "subsets", "spec", maxItems: 1000);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (subsetList?.Children.Count ?? 0); i++)
        {
            var path = $"spec.subsets[{i}]";
            var node = subsetList!.Children[i];
            problems.Check(() =>
            {
                var map = YamlFields.ItemMap(node, path);
                YamlFields.OnlyKeys(map, path, s_subsetKeys);
                var subsetName = YamlFields.RequiredString(map, "name", path);
                YamlFields.RequireDnsLabel(subsetName, path + ".name");
                if (!names.Add(subsetName))
                {
                    throw new InvalidFieldException(path + ".name", $"'{subsetName}' names an earlier subset too; subset names must be unique");
                }

                var labels = Labels(map, "labels", path);
                var policy = YamlFields.OptionalMap(map, "trafficPolicy", path) is { } policyMap ? Policy(policyMap, path + ".trafficPolicy", port: null) : null;
                subsets.Add(new SubsetSpec(subsetName, labels, policy));
            });
        }

        TrafficPolicySpec? trafficPolicy = null;
        problems.Check(() => trafficPolicy = YamlFields.OptionalMap(spec, "trafficPolicy", "spec") is { } map ? Policy(map, "spec.trafficPolicy", port: null) : null);

        var exportTo = new List<string>();
        problems.Check(() =>
        {
            var list = YamlFields.OptionalList(spec, "exportTo", "spec", maxItems: 1000);
            for (var i = 0; i < (list?.Children.Count ?? 0); i++)
            {
                var value = YamlFields.ItemString(list!.Children[i], $"spec.exportTo[{i}]");
                if (value is not ("." or "*"))
                {
                    YamlFields.RequireDnsLabel(value, $"spec.exportTo[{i}]");
                }

                exportTo.Add(value);
            }
        });

        IReadOnlyDictionary<string, string>? selector = null;
        problems.Check(() =>
        {
            if (YamlFields.OptionalMap(spec, "workloadSelector", "spec") is { } map)
            {
                YamlFields.OnlyKeys(map, "spec.workloadSelector", new HashSet<string> { "matchLabels" });
                selector = Labels(map, "matchLabels", "spec.workloadSelector");
            }
        });

        DateTimeOffset? created = null;
        problems.Check(() => created = CreationTimestamp(root));

        problems.ThrowIfAny();
        return new DestinationRuleSpec(ns, name, host, subsets, trafficPolicy, exportTo, selector, created);
    }

    /// <summary>
    /// <c>metadata.creationTimestamp</c> (RFC 3339, as the API server writes it), or null: of
    /// several rules for one host, the oldest wins.
    /// </summary>
    internal static DateTimeOffset? CreationTimestamp(YamlMappingNode root)
    {
        var metadata = YamlFields.RequiredMap(root, "metadata", string.Empty);
        var text = YamlFields.OptionalString(metadata, "creationTimestamp", "metadata");
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var created)
            ? created.ToUniversalTime()
            : throw new InvalidFieldException("metadata.creationTimestamp", $"'{YamlFields.Truncate(text)}' is not an RFC 3339 time");
    }

    private static TrafficPolicySpec Policy(YamlMappingNode map, string path, int? port)
    {
        YamlFields.OnlyKeys(map, path, port is null ? s_policyKeys : s_portPolicyKeys, s_policyUnsupported);
        var loadBalancer = YamlFields.OptionalMap(map, "loadBalancer", path) is { } lb ? LoadBalancer(lb, path + ".loadBalancer") : null;
        var pool = YamlFields.OptionalMap(map, "connectionPool", path) is { } cp ? Pool(cp, path + ".connectionPool") : null;
        var outlier = YamlFields.OptionalMap(map, "outlierDetection", path) is { } od ? Outlier(od, path + ".outlierDetection") : null;
        var tls = YamlFields.OptionalMap(map, "tls", path) is { } t ? Tls(t, path + ".tls") : null;

        var ports = new List<TrafficPolicySpec>();
        var seen = new HashSet<int>();
        var list = port is null ? YamlFields.OptionalList(map, "portLevelSettings", path, maxItems: 1000) : null;
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.portLevelSettings[{i}]";
            var item = YamlFields.ItemMap(list!.Children[i], itemPath);
            var portMap = YamlFields.RequiredMap(item, "port", itemPath);
            YamlFields.OnlyKeys(portMap, itemPath + ".port", new HashSet<string> { "number" });
            var number = YamlFields.OptionalInt(portMap, "number", itemPath + ".port", 1, 65535)
                ?? throw new InvalidFieldException(itemPath + ".port.number", "is required");
            if (!seen.Add(number))
            {
                throw new InvalidFieldException(itemPath + ".port.number", $"port {number} has settings earlier in the list too");
            }

            ports.Add(Policy(item, itemPath, number));
        }

        return new TrafficPolicySpec(port, loadBalancer, pool, outlier, tls?.Mode, ports, tls);
    }

    private static LoadBalancerSpec LoadBalancer(YamlMappingNode map, string path)
    {
        var locality = YamlFields.OptionalMap(map, "localityLbSetting", path) is { } setting ? LocalityLb(setting, path + ".localityLbSetting") : null;
        var spec = LoadBalancerChoice(map, path);
        return locality is null ? spec : spec with { LocalityLb = locality };
    }

    /// <summary>
    /// A <c>localityLbSetting</c>, validated as Istio does: each failover entry names two
    /// different regions (no zone, no <c>*</c>). Null when it asks for the default behaviour.
    /// </summary>
    private static LocalityLbPolicy? LocalityLb(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_localityKeys, s_localityUnsupported);
        var enabled = YamlFields.OptionalBool(map, "enabled", path);
        var failover = new List<RegionFailover>();
        var list = YamlFields.OptionalList(map, "failover", path, maxItems: 1000);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.failover[{i}]";
            var item = YamlFields.ItemMap(list!.Children[i], itemPath);
            YamlFields.OnlyKeys(item, itemPath, s_failoverKeys);
            var from = Region(item, "from", itemPath);
            var to = Region(item, "to", itemPath);
            if (string.Equals(from, to, StringComparison.Ordinal))
            {
                throw new InvalidFieldException(itemPath + ".to", $"'{YamlFields.Truncate(to)}' is the from region too; failover must name two different regions");
            }

            failover.Add(new RegionFailover(from, to));
        }

        var distribute = Distribute(map, path);
        if (distribute.Count > 0 && failover.Count > 0)
        {
            throw new InvalidFieldException(path + ".distribute", "can not be set together with failover (Istio applies one or the other)");
        }

        return LocalityLbPolicy.Of(enabled, failover, distribute);
    }

    /// <summary>
    /// <c>distribute</c>, validated as Istio validates it: each entry's <c>to</c> weights are 1-100
    /// and sum to 100; <c>from</c> and <c>to</c> localities are <c>region[/zone[/subzone]]</c> with no
    /// empty part and at most one <c>*</c>, as the last character; the <c>from</c> localities of all
    /// entries, and the <c>to</c> localities of one entry, do not overlap.
    /// </summary>
    private static List<LocalityDistribute> Distribute(YamlMappingNode map, string path)
    {
        var entries = new List<LocalityDistribute>();
        var list = YamlFields.OptionalList(map, "distribute", path, maxItems: 1000);
        var froms = new List<(string Locality, string Path)>();
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.distribute[{i}]";
            var item = YamlFields.ItemMap(list!.Children[i], itemPath);
            YamlFields.OnlyKeys(item, itemPath, s_distributeKeys);
            var from = YamlFields.RequiredString(item, "from", itemPath);
            froms.Add((from, itemPath + ".from"));
            var to = YamlFields.OptionalMap(item, "to", itemPath) ?? throw new InvalidFieldException(itemPath + ".to", "is required");
            if (to.Children.Count > 1000)
            {
                throw new InvalidFieldException(itemPath + ".to", $"has {to.Children.Count} localities; at most 1000 are accepted");
            }

            var weights = new List<LocalityWeight>();
            var total = 0;
            foreach (var (key, _) in to.Children)
            {
                var locality = key is YamlScalarNode { Value: { Length: > 0 } name } ? name : throw new InvalidFieldException(itemPath + ".to", "each key must be a locality name");
                var weight = YamlFields.OptionalInt(to, locality, itemPath + ".to", 1, 100)
                    ?? throw new InvalidFieldException($"{itemPath}.to.{YamlFields.Truncate(locality)}", "must be a weight between 1 and 100");
                total += weight;
                weights.Add(new LocalityWeight(locality, (uint)weight));
            }

            if (total != 100)
            {
                throw new InvalidFieldException(itemPath + ".to", $"the weights add up to {total}; they must add up to 100");
            }

            CheckLocalities(weights.Select(w => (w.Locality, $"{itemPath}.to.{YamlFields.Truncate(w.Locality)}")).ToList());
            entries.Add(new LocalityDistribute(from, weights));
        }

        CheckLocalities(froms);
        return entries;
    }

    /// <summary>Refuses a malformed locality, and one that overlaps an earlier one of the same set (Istio's <c>validateLocalities</c>).</summary>
    private static void CheckLocalities(IReadOnlyList<(string Locality, string Path)> localities)
    {
        var seen = new List<string[]>();
        foreach (var (locality, field) in localities)
        {
            var stars = locality.Count(c => c == '*');
            if (stars > 1 || (stars == 1 && !locality.EndsWith('*')))
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(locality)}' may hold one '*', as its last character only");
            }

            var parts = locality.Split('/', 3);
            if (parts.Any(p => p.Length == 0))
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(locality)}' must not have an empty region, zone or sub-zone");
            }

            // Two localities overlap when one is the other or lies within it ('*' or a shorter locality covers everything below).
            if (seen.FirstOrDefault(other => Overlap(other, parts)) is { } earlier)
            {
                throw new InvalidFieldException(field, $"'{YamlFields.Truncate(locality)}' overlaps '{YamlFields.Truncate(string.Join('/', earlier))}'");
            }

            seen.Add(parts);
        }

        static bool Overlap(string[] a, string[] b)
        {
            for (var i = 0; i < Math.Min(a.Length, b.Length); i++)
            {
                if (a[i] == "*" || b[i] == "*")
                {
                    return true;
                }

                if (!string.Equals(a[i], b[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static string Region(YamlMappingNode map, string key, string path)
    {
        var region = YamlFields.RequiredString(map, key, path);
        if (region.Contains('/', StringComparison.Ordinal))
        {
            throw new InvalidFieldException(path + "." + key, $"'{YamlFields.Truncate(region)}' must be a region alone, not a region/zone locality");
        }

        if (region.Contains('*', StringComparison.Ordinal))
        {
            throw new InvalidFieldException(path + "." + key, $"'{YamlFields.Truncate(region)}' must be a region name, without the '*' wildcard");
        }

        return region;
    }

    private static LoadBalancerSpec LoadBalancerChoice(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_loadBalancerKeys);
        var simple = YamlFields.OptionalString(map, "simple", path);
        var hash = YamlFields.OptionalMap(map, "consistentHash", path);
        if (simple is not null && hash is not null)
        {
            throw new InvalidFieldException(path, "set either simple or consistentHash, not both");
        }

        if (simple is not null)
        {
            if (!s_simple.Contains(simple))
            {
                throw new InvalidFieldException(path + ".simple", $"must be one of {string.Join(", ", s_simple.Order(StringComparer.Ordinal))}, not '{YamlFields.Truncate(simple)}'");
            }

            return new LoadBalancerSpec(simple is "LEAST_CONN" ? "LEAST_REQUEST" : simple, null, null, null, null, null);
        }

        if (hash is null)
        {
            return new LoadBalancerSpec(null, null, null, null, null, null);
        }

        var hashPath = path + ".consistentHash";
        YamlFields.OnlyKeys(hash, hashPath, s_hashKeys);
        var keys = new List<string>();
        string? cookiePath = null;
        TimeSpan? cookieTtl = null;
        if (YamlFields.OptionalString(hash, "httpHeaderName", hashPath) is { Length: > 0 } header)
        {
            keys.Add("header:" + header.ToLowerInvariant());
        }

        if (YamlFields.OptionalMap(hash, "httpCookie", hashPath) is { } cookie)
        {
            YamlFields.OnlyKeys(cookie, hashPath + ".httpCookie", s_cookieKeys);
            keys.Add("cookie:" + YamlFields.RequiredString(cookie, "name", hashPath + ".httpCookie"));
            cookiePath = YamlFields.OptionalString(cookie, "path", hashPath + ".httpCookie");
            cookieTtl = Duration(cookie, "ttl", hashPath + ".httpCookie");
        }

        if (YamlFields.OptionalBool(hash, "useSourceIp", hashPath) is true)
        {
            keys.Add("source-ip");
        }

        if (YamlFields.OptionalString(hash, "httpQueryParameterName", hashPath) is { Length: > 0 } query)
        {
            keys.Add("query:" + query);
        }

        if (keys.Count != 1)
        {
            throw new InvalidFieldException(hashPath, $"must set exactly one hash key (httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName), not {keys.Count}");
        }

        long? ringSize = RingSize(hash, "minimumRingSize", hashPath);
        long? maglev = null;
        if (YamlFields.OptionalMap(hash, "ringHash", hashPath) is { } ring)
        {
            YamlFields.OnlyKeys(ring, hashPath + ".ringHash", new HashSet<string> { "minimumRingSize" });
            ringSize = RingSize(ring, "minimumRingSize", hashPath + ".ringHash") ?? ringSize;
        }

        if (YamlFields.OptionalMap(hash, "maglev", hashPath) is { } maglevMap)
        {
            YamlFields.OnlyKeys(maglevMap, hashPath + ".maglev", new HashSet<string> { "tableSize" });
            maglev = Long(maglevMap, "tableSize", hashPath + ".maglev") ?? 65537;
            if (maglev > 5_000_011 || !IsPrime(maglev.Value))
            {
                throw new InvalidFieldException(hashPath + ".maglev.tableSize", $"must be a prime number no larger than 5000011 (Envoy's rule), not {maglev}");
            }

            if (ringSize is not null)
            {
                throw new InvalidFieldException(hashPath, "set either a ring hash or maglev, not both");
            }
        }

        return new LoadBalancerSpec(null, keys[0], cookiePath, cookieTtl, ringSize, maglev);
    }

    internal static ConnectionPoolSpec Pool(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_poolKeys);
        var tcp = YamlFields.OptionalMap(map, "tcp", path);
        var http = YamlFields.OptionalMap(map, "http", path);
        var tcpPath = path + ".tcp";
        var httpPath = path + ".http";
        if (tcp is not null)
        {
            YamlFields.OnlyKeys(tcp, tcpPath, s_tcpKeys);
        }

        if (http is not null)
        {
            YamlFields.OnlyKeys(http, httpPath, s_httpKeys);
        }

        var upgrade = http is null ? null : YamlFields.OptionalString(http, "h2UpgradePolicy", httpPath);
        if (upgrade is not null and not ("DEFAULT" or "DO_NOT_UPGRADE" or "UPGRADE"))
        {
            throw new InvalidFieldException(httpPath + ".h2UpgradePolicy", $"must be DEFAULT, DO_NOT_UPGRADE or UPGRADE, not '{YamlFields.Truncate(upgrade)}'");
        }

        return new ConnectionPoolSpec(
            tcp is null ? null : YamlFields.OptionalInt(tcp, "maxConnections", tcpPath, 0, int.MaxValue),
            tcp is null ? null : Duration(tcp, "connectTimeout", tcpPath, minimum: TimeSpan.FromMilliseconds(1)),
            http is null ? null : YamlFields.OptionalInt(http, "http1MaxPendingRequests", httpPath, 0, int.MaxValue),
            http is null ? null : YamlFields.OptionalInt(http, "http2MaxRequests", httpPath, 0, int.MaxValue),
            http is null ? null : YamlFields.OptionalInt(http, "maxRequestsPerConnection", httpPath, 0, int.MaxValue),
            http is null ? null : YamlFields.OptionalInt(http, "maxRetries", httpPath, 0, int.MaxValue),
            http is null ? null : Duration(http, "idleTimeout", httpPath),
            upgrade,
            http is null ? null : YamlFields.OptionalBool(http, "useClientProtocol", httpPath),
            http is null ? null : YamlFields.OptionalInt(http, "maxConcurrentStreams", httpPath, 0, int.MaxValue));
    }

    private static OutlierDetectionSpec Outlier(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_outlierKeys);
        var fivexx = YamlFields.OptionalInt(map, "consecutive5xxErrors", path, 0, int.MaxValue)
            ?? YamlFields.OptionalInt(map, "consecutiveErrors", path, 0, int.MaxValue);
        return new OutlierDetectionSpec(
            fivexx,
            YamlFields.OptionalInt(map, "consecutiveGatewayErrors", path, 0, int.MaxValue),
            YamlFields.OptionalInt(map, "consecutiveLocalOriginFailures", path, 0, int.MaxValue),
            YamlFields.OptionalBool(map, "splitExternalLocalOriginErrors", path),
            Duration(map, "interval", path, minimum: TimeSpan.FromMilliseconds(1)),
            Duration(map, "baseEjectionTime", path, minimum: TimeSpan.FromMilliseconds(1)),
            YamlFields.OptionalInt(map, "maxEjectionPercent", path, 0, 100),
            YamlFields.OptionalInt(map, "minHealthPercent", path, 0, 100));
    }

    /// <summary>
    /// A <c>tls</c> block as Istio's <c>validateTLSSettings</c> checks it: a known mode; MUTUAL with a
    /// client certificate and key; ISTIO_MUTUAL without certificate files (the mesh's are used);
    /// SNI a DNS name. <c>credentialName</c> is refused for now: it needs Kubernetes Secrets over SDS,
    /// which the gateway credentials bring.
    /// </summary>
    private static ClientTlsSpec Tls(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_tlsKeys);
        var mode = YamlFields.OptionalString(map, "mode", path) ?? "DISABLE";
        if (mode is not ("DISABLE" or "SIMPLE" or "MUTUAL" or "ISTIO_MUTUAL"))
        {
            throw new InvalidFieldException(path + ".mode", $"must be DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL, not '{YamlFields.Truncate(mode)}'");
        }

        var sni = YamlFields.OptionalString(map, "sni", path);
        if (sni is not null && (sni.Length > 255 || IstioFields.WildcardDomainProblem(sni) is not null))
        {
            throw new InvalidFieldException(path + ".sni", $"'{YamlFields.Truncate(sni)}' is not a DNS name");
        }

        var names = IstioFields.Strings(map, "subjectAltNames", path, maxItems: 64);
        var ca = YamlFields.OptionalString(map, "caCertificates", path);
        var certificate = YamlFields.OptionalString(map, "clientCertificate", path);
        var key = YamlFields.OptionalString(map, "privateKey", path);
        var crl = YamlFields.OptionalString(map, "caCrl", path);
        var insecure = YamlFields.OptionalBool(map, "insecureSkipVerify", path) ?? false;
        if (YamlFields.OptionalString(map, "credentialName", path) is not null)
        {
            throw new InvalidFieldException(path + ".credentialName", "is not supported yet: it needs Kubernetes Secrets over SDS; give the files (clientCertificate, privateKey, caCertificates) instead");
        }

        if (mode == "MUTUAL" && (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(key)))
        {
            throw new InvalidFieldException(path, "MUTUAL needs clientCertificate and privateKey");
        }

        if (mode == "ISTIO_MUTUAL" && (certificate ?? key ?? ca ?? crl) is not null)
        {
            throw new InvalidFieldException(path, "ISTIO_MUTUAL uses the mesh's certificates: clientCertificate, privateKey, caCertificates and caCrl must be left out");
        }

        foreach (var (field, file) in new[] { ("caCertificates", ca), ("clientCertificate", certificate), ("privateKey", key), ("caCrl", crl) })
        {
            if (file is not null && (!file.StartsWith('/') || file.Length > 4096))
            {
                throw new InvalidFieldException($"{path}.{field}", "must be an absolute file path on the proxy");
            }
        }

        return new ClientTlsSpec(mode, sni, names, ca, certificate, key, crl, insecure);
    }

    private static Dictionary<string, string> Labels(YamlMappingNode map, string key, string path)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var labelMap = YamlFields.OptionalMap(map, key, path);
        if (labelMap is not null && labelMap.Children.Count > 64)
        {
            throw new InvalidFieldException(YamlFields.Join(path, key), $"has {labelMap.Children.Count} labels; at most 64 are allowed");
        }

        foreach (var (k, v) in labelMap?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
        {
            var labelName = (k as YamlScalarNode)?.Value ?? string.Empty;
            var labelPath = $"{YamlFields.Join(path, key)}[{YamlFields.Truncate(labelName)}]";
            if (labelName.Length is 0 or > 317)
            {
                throw new InvalidFieldException(labelPath, "is not a label name");
            }

            var value = YamlFields.ItemString(v, labelPath);
            if (value.Length > 63)
            {
                throw new InvalidFieldException(labelPath, "a label value has at most 63 characters");
            }

            labels[labelName] = value;
        }

        return labels;
    }

    private static TimeSpan? Duration(YamlMappingNode map, string key, string path, TimeSpan? minimum = null)
    {
        var text = YamlFields.OptionalString(map, key, path);
        if (text is null)
        {
            return null;
        }

        if (!GoDuration.TryParse(text, out var duration))
        {
            throw new InvalidFieldException(YamlFields.Join(path, key), $"'{YamlFields.Truncate(text)}' is not a duration such as 1.5s or 300ms");
        }

        if (minimum is { } least && duration < least)
        {
            throw new InvalidFieldException(YamlFields.Join(path, key), $"must be at least {least.TotalMilliseconds} ms");
        }

        return duration;
    }

    /// <summary>A ring size: Envoy and gRPC clients limit rings to 8M (8,388,608) entries.</summary>
    private static long? RingSize(YamlMappingNode map, string key, string path) =>
        YamlFields.OptionalInt(map, key, path, 0, 8_388_608);

    private static bool IsPrime(long value)
    {
        if (value < 2)
        {
            return false;
        }

        for (long divisor = 2; divisor * divisor <= value; divisor++)
        {
            if (value % divisor == 0)
            {
                return false;
            }
        }

        return true;
    }

    private static long? Long(YamlMappingNode map, string key, string path) =>
        YamlFields.OptionalInt(map, key, path, 0, int.MaxValue);
}

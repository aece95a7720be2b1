using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>Gateway</c> (networking.istio.io v1, v1beta1, v1alpha3) as
/// Istio's validation would: at least one server; each with hosts (<c>[namespace/]dnsName</c>),
/// a named port with a number and protocol, an optional bind address, and TLS settings that fit
/// the protocol; port and server names unique. TLS modes that terminate TLS need certificates the
/// mesh cannot serve yet and are refused by name; the passthrough modes are accepted.
/// </summary>
internal static class GatewayParser
{
    /// <summary>The prefix of a bind address that names a Unix domain socket.</summary>
    public const string UnixPrefix = "unix://";

    private static readonly HashSet<string> s_specKeys = ["servers", "selector"];
    private static readonly HashSet<string> s_serverKeys = ["port", "hosts", "bind", "tls", "name"];
    private static readonly Dictionary<string, string> s_serverUnsupported = new()
    {
        ["defaultEndpoint"] = "defaultEndpoint is not implemented (Istio does not implement it either)",
    };

    private static readonly HashSet<string> s_portKeys = ["number", "name", "protocol", "targetPort"];
    private static readonly HashSet<string> s_tlsKeys =
    [
        "httpsRedirect", "mode", "serverCertificate", "privateKey", "caCertificates", "caCrl", "credentialName", "credentialNames",
        "caCertCredentialName", "tlsCertificates", "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash",
        "minProtocolVersion", "maxProtocolVersion", "cipherSuites",
    ];

    private static readonly HashSet<string> s_certificateKeys = ["serverCertificate", "privateKey", "caCertificates"];
    private static readonly string[] s_modes = ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"];
    private static readonly string[] s_versions = ["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"];

    /// <summary>Parses the Gateway in <paramref name="ns"/>; every problem is reported, not only the first.</summary>
    public static GatewaySpec Parse(YamlMappingNode root, string ns, string name)
    {
        // Istio: a Gateway's name is a DNS label (no dots), since VirtualServices refer to it as <namespace>/<name>.
        YamlFields.RequireDnsLabel(name, "metadata.name");
        var spec = YamlFields.RequiredMap(root, "spec", string.Empty);
        YamlFields.OnlyKeys(spec, "spec", s_specKeys);
        var problems = new Problems();

        Dictionary<string, string> selector = [];
        problems.Check(() => selector = IstioFields.Labels(spec, "selector", "spec"));

        YamlSequenceNode? list = null;
        problems.Check(() =>
        {
            list = YamlFields.OptionalList(spec, "servers", "spec", maxItems: 1000);
            if (list is null || list.Children.Count == 0)
            {
                throw new InvalidFieldException("spec.servers", "is required and must list at least one server");
            }
        });

        var servers = new List<GatewayServerSpec>();
        var portNames = new Dictionary<string, int>(StringComparer.Ordinal);
        var serverNames = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < (list?.Children.Count ?? 0); i++)
        {
            var path = $"spec.servers[{i}]";
            var node = list!.Children[i];
            YamlMappingNode? map = null;
            problems.Check(() =>
            {
                map = YamlFields.ItemMap(node, path);
                YamlFields.OnlyKeys(map, path, s_serverKeys, s_serverUnsupported);
            });
            if (map is null)
            {
                continue;
            }

            var (server, portName, serverName) = Server(map, path, ns, problems);
            if (portName is not null)
            {
                var index = i;
                problems.Check(() => Unique(portNames, portName, index, path + ".port.name", "port"));
            }

            if (serverName is not null)
            {
                var index = i;
                problems.Check(() => Unique(serverNames, serverName, index, path + ".name", "server"));
            }

            if (server is not null)
            {
                servers.Add(server);
            }
        }

        problems.ThrowIfAny();
        return new GatewaySpec(ns, name, selector, servers);
    }

    /// <summary>
    /// One server, its problems added to <paramref name="problems"/> (null when it has any), and
    /// its port and server names when they could be read, for the checks across servers.
    /// </summary>
    private static (GatewayServerSpec? Server, string? PortName, string? ServerName) Server(YamlMappingNode map, string path, string ns, Problems problems)
    {
        var before = problems.Count;
        var hosts = new List<GatewayHostSpec>();
        problems.Check(() =>
        {
            var list = YamlFields.OptionalList(map, "hosts", path, maxItems: 1000);
            if (list is null || list.Children.Count == 0)
            {
                throw new InvalidFieldException(path + ".hosts", "is required and must name at least one host");
            }

            for (var i = 0; i < list.Children.Count; i++)
            {
                var hostPath = $"{path}.hosts[{i}]";
                var node = list.Children[i];
                problems.Check(() => hosts.Add(Host(YamlFields.ItemString(node, hostPath), hostPath, ns)));
            }
        });

        string? bind = null;
        problems.Check(() => bind = Bind(map, path));

        string? serverName = null;
        problems.Check(() =>
        {
            serverName = YamlFields.OptionalString(map, "name", path);
            if (serverName is { Length: 0 })
            {
                serverName = null;
            }
        });

        (int Number, string Name, string Protocol)? port = null;
        problems.Check(() => port = Port(map, path, bind));

        GatewayTlsSpec? tls = null;
        var tlsMap = (YamlMappingNode?)null;
        problems.Check(() =>
        {
            tlsMap = YamlFields.OptionalMap(map, "tls", path);
            tls = tlsMap is null ? null : Tls(tlsMap, path + ".tls");
        });

        if (port is { } known)
        {
            problems.Check(() => ProtocolFitsTls(known.Protocol, tlsMap, tls, path));
        }

        // Read without throwing: a port that is not as it should be has been reported above.
        var portName = YamlFields.Get(map, "port") is YamlMappingNode portMap && YamlFields.Get(portMap, "name") is YamlScalarNode nameNode
            && !YamlFields.IsNull(nameNode) && nameNode.Value is { Length: > 0 } named
            ? named
            : null;
        var server = problems.Count == before && port is { } p
            ? new GatewayServerSpec(p.Number, p.Name, p.Protocol, hosts, bind, serverName, tls)
            : null;
        return (server, portName, serverName);
    }

    /// <summary>
    /// A host as Istio's gateway validation reads it: an optional namespace (<c>*</c>, <c>.</c> or
    /// a namespace name) and '/', then a DNS name with dots, a <c>*.</c> wildcard, <c>*</c>, or an IP.
    /// </summary>
    private static GatewayHostSpec Host(string text, string field, string ns)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var hostNamespace = slash < 0 ? "*" : text[..slash];
        var host = slash < 0 ? text : text[(slash + 1)..];
        if (slash >= 0 && (hostNamespace.Length == 0 || host.Length == 0))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(text)}': neither the namespace nor the host of namespace/host may be empty");
        }

        if (hostNamespace == "~")
        {
            throw new InvalidFieldException(field, "the namespace '~' is only for gateways made from the Kubernetes Gateway API; use '*', '.' or a namespace");
        }

        if (hostNamespace is not ("*" or "."))
        {
            YamlFields.RequireDnsLabel(hostNamespace, field);
        }

        if (host != "*" && !host.Contains('.', StringComparison.Ordinal))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(host)}' is a short name; a Gateway host must be fully qualified (or '*')");
        }

        if (IstioFields.WildcardDomainProblem(host) is { } problem && !IstioFields.IsIpAddress(host))
        {
            throw new InvalidFieldException(field, problem);
        }

        if (host.Contains('*', StringComparison.Ordinal) && host != "*" && !host.StartsWith("*.", StringComparison.Ordinal))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(host)}' is a partial wildcard; only '*' or a leading '*.' is allowed");
        }

        return new GatewayHostSpec(hostNamespace == "." ? ns : hostNamespace, host.ToLowerInvariant());
    }

    private static string? Bind(YamlMappingNode map, string path)
    {
        var bind = YamlFields.OptionalString(map, "bind", path);
        if (string.IsNullOrEmpty(bind))
        {
            return null;
        }

        if (bind.StartsWith(UnixPrefix, StringComparison.Ordinal))
        {
            return IstioFields.UnixAddressProblem(bind[UnixPrefix.Length..]) is { } problem
                ? throw new InvalidFieldException(path + ".bind", problem)
                : bind;
        }

        return IstioFields.IsIpAddress(bind)
            ? bind
            : throw new InvalidFieldException(path + ".bind", $"'{YamlFields.Truncate(bind)}' is not an IP address or a unix:// socket");
    }

    private static (int Number, string Name, string Protocol) Port(YamlMappingNode map, string path, string? bind)
    {
        var portPath = path + ".port";
        var port = YamlFields.RequiredMap(map, "port", path);
        YamlFields.OnlyKeys(port, portPath, s_portKeys);
        var unix = bind?.StartsWith(UnixPrefix, StringComparison.Ordinal) is true;
        var number = YamlFields.OptionalInt(port, "number", portPath, 0, 65535) ?? 0;
        if (unix && number != 0)
        {
            throw new InvalidFieldException(portPath + ".number", $"must be 0 when the server binds to a Unix domain socket, not {number}");
        }

        if (!unix && number == 0)
        {
            throw new InvalidFieldException(portPath + ".number", "is required (1-65535)");
        }

        var protocolText = YamlFields.OptionalString(port, "protocol", portPath);
        if (string.IsNullOrEmpty(protocolText))
        {
            throw new InvalidFieldException(portPath + ".protocol", $"is required: one of {string.Join(", ", IstioFields.Protocols)}");
        }

        var protocol = IstioFields.Protocol(protocolText, portPath + ".protocol");
        if (YamlFields.OptionalInt(port, "targetPort", portPath, 0, 65535) is > 0)
        {
            throw new InvalidFieldException(portPath + ".targetPort", "has no effect on a Gateway (it is for ServiceEntries); remove it");
        }

        var name = YamlFields.RequiredString(port, "name", portPath);
        return (number, name, protocol);
    }

    /// <summary>
    /// The <c>tls</c> of a server. A mode that terminates TLS is refused: the mesh has no
    /// certificates to hand a gateway yet. The rules Istio applies whatever the mode are checked too.
    /// </summary>
    private static GatewayTlsSpec Tls(YamlMappingNode map, string path)
    {
        YamlFields.OnlyKeys(map, path, s_tlsKeys);
        var redirect = YamlFields.OptionalBool(map, "httpsRedirect", path) ?? false;
        var mode = YamlFields.OptionalString(map, "mode", path) is { Length: > 0 } text ? text : "PASSTHROUGH";
        if (!s_modes.Contains(mode, StringComparer.Ordinal))
        {
            throw new InvalidFieldException(path + ".mode", $"must be one of {string.Join(", ", s_modes)}, not '{YamlFields.Truncate(mode)}'");
        }

        var serverCertificate = NonEmpty(map, "serverCertificate", path);
        var privateKey = NonEmpty(map, "privateKey", path);
        var caCertificates = NonEmpty(map, "caCertificates", path);
        var caCrl = NonEmpty(map, "caCrl", path);
        var credentialName = NonEmpty(map, "credentialName", path);
        NonEmpty(map, "caCertCredentialName", path);
        var credentialNames = IstioFields.Strings(map, "credentialNames", path, maxItems: 2);
        var certificates = YamlFields.OptionalList(map, "tlsCertificates", path, maxItems: 2);
        for (var i = 0; i < (certificates?.Children.Count ?? 0); i++)
        {
            var itemPath = $"{path}.tlsCertificates[{i}]";
            var item = YamlFields.ItemMap(certificates!.Children[i], itemPath);
            YamlFields.OnlyKeys(item, itemPath, s_certificateKeys);
            foreach (var key in s_certificateKeys)
            {
                NonEmpty(item, key, itemPath);
            }
        }

        var subjectAltNames = IstioFields.Strings(map, "subjectAltNames", path, maxItems: 1000);
        IstioFields.Strings(map, "verifyCertificateSpki", path, maxItems: 1000);
        IstioFields.Strings(map, "verifyCertificateHash", path, maxItems: 1000);
        var cipherSuites = IstioFields.Strings(map, "cipherSuites", path, maxItems: 1000);
        var minVersion = Version(map, "minProtocolVersion", path);
        var maxVersion = Version(map, "maxProtocolVersion", path);

        if (mode is "SIMPLE" or "MUTUAL" or "ISTIO_MUTUAL" or "OPTIONAL_MUTUAL")
        {
            throw new InvalidFieldException(path + ".mode", $"{mode} terminates TLS, which needs certificates, which the security issue brings; until then only PASSTHROUGH and AUTO_PASSTHROUGH are supported");
        }

        // Istio: one source of certificates at most, whatever the mode.
        var sources = new[]
        {
            (serverCertificate is not null && privateKey is not null, "serverCertificate/privateKey"),
            (credentialName is not null, "credentialName"),
            (credentialNames.Count > 0, "credentialNames"),
            (certificates is { Children.Count: > 0 }, "tlsCertificates"),
        }.Where(s => s.Item1).Select(s => s.Item2).ToList();
        if (sources.Count > 1)
        {
            throw new InvalidFieldException(path, $"only one of credentialName, credentialNames, serverCertificate/privateKey and tlsCertificates may be set, not {string.Join(" and ", sources)}");
        }

        if (caCrl is not null && credentialName is not null)
        {
            throw new InvalidFieldException(path + ".caCrl", "cannot be used with credentialName; put the CRL in the credential");
        }

        return new GatewayTlsSpec(redirect, mode, credentialName, credentialNames, serverCertificate, privateKey, caCertificates, caCrl,
            subjectAltNames, minVersion, maxVersion, cipherSuites);
    }

    /// <summary>
    /// Istio's pairing of protocol and TLS: HTTPS and TLS servers need <c>tls</c>; a plain HTTP
    /// server may carry it only to redirect to HTTPS (a passthrough mode, no certificate files);
    /// any other protocol may not carry it.
    /// </summary>
    private static void ProtocolFitsTls(string protocol, YamlMappingNode? tlsMap, GatewayTlsSpec? tls, string path)
    {
        if (IstioFields.IsTls(protocol))
        {
            if (tlsMap is null)
            {
                throw new InvalidFieldException(path + ".tls", $"is required on a {protocol} server (a mode such as PASSTHROUGH)");
            }

            return;
        }

        if (tlsMap is null)
        {
            return;
        }

        if (!IstioFields.IsHttp(protocol))
        {
            throw new InvalidFieldException(path + ".tls", $"a {protocol} server cannot have TLS settings; use protocol TLS or HTTPS");
        }

        // A tls that could not be read has been reported already.
        if (tls is not null && (tls.ServerCertificate ?? tls.PrivateKey ?? tls.CaCertificates) is not null)
        {
            throw new InvalidFieldException(path + ".tls", $"a plain-text {protocol} server may only set httpsRedirect, not certificates");
        }
    }

    private static void Unique(Dictionary<string, int> seen, string value, int index, string field, string what)
    {
        if (!seen.TryAdd(value, index))
        {
            throw new InvalidFieldException(field, $"'{YamlFields.Truncate(value)}' names {what} of spec.servers[{seen[value]}] too; {what} names must be unique in a Gateway");
        }
    }

    private static string? NonEmpty(YamlMappingNode map, string key, string path) =>
        YamlFields.OptionalString(map, key, path) is { Length: > 0 } value ? value : null;

    private static string? Version(YamlMappingNode map, string key, string path)
    {
        var version = NonEmpty(map, key, path);
        return version is null || s_versions.Contains(version, StringComparer.Ordinal)
            ? version
            : throw new InvalidFieldException(YamlFields.Join(path, key), $"must be one of {string.Join(", ", s_versions)}, not '{YamlFields.Truncate(version)}'");
    }
}

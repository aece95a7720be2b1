using Mesh.Orleans.Grains.Interfaces.Model;
using YamlDotNet.RepresentationModel;

namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Reads and validates an Istio <c>Gateway</c> (networking.istio.io v1, v1beta1, v1alpha3) as
/// Istio's validation would: at least one server; each with hosts (<c>[namespace/]dnsName</c>),
/// a named port with a number and protocol, an optional bind address, and TLS settings that fit
/// the protocol; port and server names unique. Every TLS mode is accepted, its fields checked as
/// Istio's <c>validateTLSOptions</c> checks them: the passthrough modes route by SNI and ignore
/// certificates; SIMPLE, MUTUAL and OPTIONAL_MUTUAL terminate TLS with the certificate of a Secret
/// (<c>credentialName</c>, <c>credentialNames</c>) or of files (<c>serverCertificate</c> and
/// <c>privateKey</c>, and <c>caCertificates</c> to verify clients); ISTIO_MUTUAL with the gateway's
/// mesh certificate and nothing else. What Istio only warns about is accepted. A list of
/// <c>tlsCertificates</c> is not supported with a terminating mode yet.
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

    private static readonly Dictionary<string, string> s_tlsUnsupported = new()
    {
        ["ecdhCurves"] = "is not supported yet; leave it out for Envoy's default curves",
        ["insecureSkipVerify"] = "is not supported yet; client certificates are always verified against the CA in the mutual modes",
    };

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
            tls = tlsMap is null ? null : Tls(tlsMap, path + ".tls", problems);
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
    /// The <c>tls</c> of a server, read and checked as Istio's <c>validateTLSOptions</c> checks it.
    /// A field that cannot be read throws; a rule between fields (which mode needs which
    /// certificate) that is broken is added to <paramref name="problems"/>, so that every one is
    /// reported, and the settings are returned all the same for the protocol check.
    /// </summary>
    private static GatewayTlsSpec Tls(YamlMappingNode map, string path, Problems problems)
    {
        YamlFields.OnlyKeys(map, path, s_tlsKeys, s_tlsUnsupported);
        var redirect = YamlFields.OptionalBool(map, "httpsRedirect", path) ?? false;
        var mode = YamlFields.OptionalString(map, "mode", path) is { Length: > 0 } text ? text : "PASSTHROUGH";
        if (!s_modes.Contains(mode, StringComparer.Ordinal))
        {
            throw new InvalidFieldException(path + ".mode", $"must be one of {string.Join(", ", s_modes)}, not '{YamlFields.Truncate(mode)}'");
        }

        // Istio's fields are proto3 strings: an empty one is the same as one left out.
        var serverCertificate = NonEmpty(map, "serverCertificate", path);
        var privateKey = NonEmpty(map, "privateKey", path);
        var caCertificates = NonEmpty(map, "caCertificates", path);
        var caCrl = NonEmpty(map, "caCrl", path);
        var credentialName = NonEmpty(map, "credentialName", path);
        var caCertCredentialName = NonEmpty(map, "caCertCredentialName", path);
        var credentialNames = NonEmptyList(map, "credentialNames", path);
        var certificates = YamlFields.OptionalList(map, "tlsCertificates", path, maxItems: 2);
        if (certificates is { Children.Count: 0 })
        {
            throw new InvalidFieldException(path + ".tlsCertificates", "must list at least one certificate when set (Istio's CRD: minItems 1)");
        }

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
        var spki = IstioFields.Strings(map, "verifyCertificateSpki", path, maxItems: 1000);
        var hashes = IstioFields.Strings(map, "verifyCertificateHash", path, maxItems: 1000);

        // Istio only warns about unknown or repeated cipher suites (and drops them), so any is accepted.
        var cipherSuites = IstioFields.Strings(map, "cipherSuites", path, maxItems: 1000);
        var minVersion = Version(map, "minProtocolVersion", path);
        var maxVersion = Version(map, "maxProtocolVersion", path);
        var tls = new GatewayTlsSpec(redirect, mode, credentialName, credentialNames, serverCertificate, privateKey, caCertificates, caCrl,
            subjectAltNames, minVersion, maxVersion, cipherSuites, caCertCredentialName, spki, hashes);

        var triples = certificates?.Children.Count ?? 0;
        if (mode == "ISTIO_MUTUAL")
        {
            IstioMutual(tls, triples, path, problems);
        }
        else
        {
            OneSource(tls, triples, path, problems);
            if (tls.Terminates)
            {
                Terminating(tls, triples, path, problems);
            }
        }

        return tls;
    }

    /// <summary>
    /// Istio's <c>validateTLSOptions</c> for ISTIO_MUTUAL: the gateway serves its own mesh workload
    /// certificate and verifies clients with the mesh CA, so naming any other certificate or CA is
    /// an error. Nothing else is checked in this mode, as in Istio (caCrl, subjectAltNames and
    /// caCertCredentialName are allowed; versions and cipher suites are ignored).
    /// </summary>
    private static void IstioMutual(GatewayTlsSpec tls, int triples, string path, Problems problems)
    {
        var named = new[]
        {
            ("serverCertificate", tls.ServerCertificate is not null),
            ("privateKey", tls.PrivateKey is not null),
            ("caCertificates", tls.CaCertificates is not null),
            ("tlsCertificates", triples > 0),
            ("credentialName", tls.CredentialName is not null),
            ("credentialNames", tls.CredentialNames.Count > 0),
        };
        foreach (var (field, set) in named)
        {
            if (set)
            {
                Reject(problems, path + "." + field, "must be left out with ISTIO_MUTUAL, which serves the gateway's mesh workload certificate and verifies clients with the mesh CA");
            }
        }
    }

    /// <summary>
    /// Istio's <c>validateTLSOptions</c> for every mode but ISTIO_MUTUAL: one source of
    /// certificates at most, and no <c>caCrl</c> beside a <c>credentialName</c> (the CRL comes
    /// from the Secret). In the passthrough modes Istio only warns that certificates are ignored.
    /// Istio skips the CRL rule in the terminating modes by returning early when a Secret is
    /// named; it is kept there too, so that a CRL is not dropped without a word.
    /// </summary>
    private static void OneSource(GatewayTlsSpec tls, int triples, string path, Problems problems)
    {
        var sources = new[]
        {
            (tls.ServerCertificate is not null && tls.PrivateKey is not null, "serverCertificate/privateKey"),
            (tls.CredentialName is not null, "credentialName"),
            (tls.CredentialNames.Count > 0, "credentialNames"),
            (triples > 0, "tlsCertificates"),
        }.Where(s => s.Item1).Select(s => s.Item2).ToList();
        if (sources.Count > 1)
        {
            Reject(problems, path, $"only one of credentialName, credentialNames, serverCertificate/privateKey and tlsCertificates may be set, not {string.Join(" and ", sources)}");
        }

        if (tls.CaCrl is not null && tls.CredentialName is not null)
        {
            Reject(problems, path + ".caCrl", "cannot be used with credentialName; put the CRL in the credential");
        }
    }

    /// <summary>
    /// Istio's <c>validateTLSOptions</c> for SIMPLE, MUTUAL and OPTIONAL_MUTUAL. A certificate from
    /// a Secret (<c>credentialName</c>, or <c>credentialNames</c> for an RSA and an ECDSA one) needs
    /// nothing more: the client CA comes from the Secret, its <c>NAME-cacert</c> twin or
    /// <c>caCertCredentialName</c>. A certificate from files needs both <c>serverCertificate</c>
    /// and <c>privateKey</c>, and for the mutual modes <c>caCertificates</c>; a CRL needs a mode
    /// that verifies clients. Beyond Istio, and each noted where it is checked: what Envoy would
    /// refuse, what the mesh does not support yet, and what Istio means to refuse but skips.
    /// </summary>
    private static void Terminating(GatewayTlsSpec tls, int triples, string path, Problems problems)
    {
        var mode = tls.Mode;
        var mutual = mode is "MUTUAL" or "OPTIONAL_MUTUAL";
        if (triples > 0)
        {
            Reject(problems, path + ".tlsCertificates", $"tlsCertificates is not supported yet; use credentialName(s) or serverCertificate/privateKey ({mode} terminates TLS)");
        }

        if (tls.CredentialName is not null || tls.CredentialNames.Count > 0)
        {
            // Envoy refuses two certificates of one key type, which one Secret named twice would be.
            if (tls.CredentialNames is [var first, var second] && first == second)
            {
                Reject(problems, path + ".credentialNames[1]", "names the same Secret as credentialNames[0]; the two are for an RSA and an ECDSA certificate");
            }

            // Istio returns before its CRL check when credentials come from Secrets; it means it for
            // credentialNames too (a credential's CRL is in its Secret), so the field is not dropped silently.
            if (tls.CaCrl is not null && tls.CredentialNames.Count > 0)
            {
                Reject(problems, path + ".caCrl", "cannot be used with credentialNames; put the CRL in the credential");
            }
        }
        else
        {
            if (mutual && tls.CaCertificates is null)
            {
                Reject(problems, path + ".caCertificates", $"is required: {mode} verifies client certificates, and with the certificate from files the CA bundle is a file too (with credentialName it comes from the Secret, NAME-cacert or caCertCredentialName)");
            }

            if (triples == 0)
            {
                Files(tls, path, problems);
            }

            if (mode == "SIMPLE" && tls.CaCrl is not null)
            {
                Reject(problems, path + ".caCrl", "is not supported with SIMPLE, which does not verify client certificates; use MUTUAL or OPTIONAL_MUTUAL, or leave it out");
            }
        }

        if (mutual)
        {
            Pins(tls, path, problems);
        }

        // Not an Istio rule: Envoy cannot serve a range whose maximum is below its minimum.
        // TLS_AUTO leaves Envoy's default in place, so it is not compared.
        if (tls.MinProtocolVersion is { } min and not "TLS_AUTO" && tls.MaxProtocolVersion is { } max and not "TLS_AUTO"
            && Array.IndexOf(s_versions, max) < Array.IndexOf(s_versions, min))
        {
            Reject(problems, path + ".maxProtocolVersion", $"{max} is below minProtocolVersion {min}");
        }
    }

    /// <summary>A certificate served from files on the gateway: both halves, or a reason naming the missing one.</summary>
    private static void Files(GatewayTlsSpec tls, string path, Problems problems)
    {
        var mode = tls.Mode;
        if (tls.ServerCertificate is null && tls.PrivateKey is null)
        {
            Reject(problems, path + ".credentialName", $"is required (or credentialNames, or serverCertificate and privateKey): {mode} terminates TLS and needs a certificate");
            return;
        }

        if (tls.ServerCertificate is null)
        {
            Reject(problems, path + ".serverCertificate", $"is required beside privateKey: {mode} serves the certificate from files");
        }

        if (tls.PrivateKey is null)
        {
            Reject(problems, path + ".privateKey", $"is required beside serverCertificate: {mode} serves the certificate from files");
        }
    }

    /// <summary>
    /// The client certificate pins of the mutual modes, in the form Envoy's certificate validator
    /// requires (it refuses the listener otherwise; Istio does not check them): a base64 SHA-256
    /// of the public key, or a hex SHA-256 of the certificate, colons allowed.
    /// </summary>
    private static void Pins(GatewayTlsSpec tls, string path, Problems problems)
    {
        var spki = tls.VerifyCertificateSpki ?? [];
        for (var i = 0; i < spki.Count; i++)
        {
            if (!IsBase64Sha256(spki[i]))
            {
                Reject(problems, $"{path}.verifyCertificateSpki[{i}]", $"'{YamlFields.Truncate(spki[i])}' is not a base64-encoded SHA-256 (44 characters)");
            }
        }

        var hashes = tls.VerifyCertificateHash ?? [];
        for (var i = 0; i < hashes.Count; i++)
        {
            if (!IsHexSha256(hashes[i]))
            {
                Reject(problems, $"{path}.verifyCertificateHash[{i}]", $"'{YamlFields.Truncate(hashes[i])}' is not a hex-encoded SHA-256 (64 hex digits, colons allowed)");
            }
        }
    }

    /// <summary>
    /// Istio's pairing of protocol and TLS (<c>validateServer</c>): HTTPS and TLS servers need
    /// <c>tls</c>, and may use every mode (a TLS server with SIMPLE terminates TLS and routes TCP);
    /// a plain HTTP server may carry it only to redirect to HTTPS: a passthrough mode
    /// (<c>IsPassThroughServer</c>) and no certificate files; any other protocol may not carry it.
    /// </summary>
    private static void ProtocolFitsTls(string protocol, YamlMappingNode? tlsMap, GatewayTlsSpec? tls, string path)
    {
        if (IstioFields.IsTls(protocol))
        {
            if (tlsMap is null)
            {
                throw new InvalidFieldException(path + ".tls", $"is required on a {protocol} server (a mode such as PASSTHROUGH or SIMPLE)");
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
        if (tls is not null && tls.Mode is not ("PASSTHROUGH" or "AUTO_PASSTHROUGH"))
        {
            throw new InvalidFieldException(path + ".tls.mode", $"a plain-text {protocol} server may only set httpsRedirect, not terminate TLS with {tls.Mode}; use protocol HTTPS");
        }

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

    /// <summary>
    /// A list of one or two Secret names, empty when left out; Istio's CRD refuses an empty list
    /// (minItems 1) and a third name (maxItems 2), and an empty name can name no Secret.
    /// </summary>
    private static List<string> NonEmptyList(YamlMappingNode map, string key, string path)
    {
        var names = IstioFields.Strings(map, key, path, maxItems: 2);
        return names.Count == 0 && YamlFields.OptionalList(map, key, path, maxItems: 2) is not null
            ? throw new InvalidFieldException(YamlFields.Join(path, key), "must name one or two Secrets when set (Istio's CRD: minItems 1)")
            : names;
    }

    /// <summary>Adds a problem found by a rule between fields rather than by reading one.</summary>
    private static void Reject(Problems problems, string field, string reason) =>
        problems.Check(() => throw new InvalidFieldException(field, reason));

    /// <summary>What Envoy's <c>Base64::decode</c> takes as a SHA-256: 32 bytes in 44 padded characters.</summary>
    private static bool IsBase64Sha256(string value)
    {
        Span<byte> digest = stackalloc byte[33];
        return value.Length == 44 && Convert.TryFromBase64String(value, digest, out var written) && written == 32;
    }

    /// <summary>What Envoy takes as a hex SHA-256 after dropping colons: 64 hex digits.</summary>
    private static bool IsHexSha256(string value)
    {
        var digits = 0;
        foreach (var c in value)
        {
            if (char.IsAsciiHexDigit(c))
            {
                digits++;
            }
            else if (c != ':')
            {
                return false;
            }
        }

        return digits == 64;
    }

    private static string? Version(YamlMappingNode map, string key, string path)
    {
        var version = NonEmpty(map, key, path);
        return version is null || s_versions.Contains(version, StringComparer.Ordinal)
            ? version
            : throw new InvalidFieldException(YamlFields.Join(path, key), $"must be one of {string.Join(", ", s_versions)}, not '{YamlFields.Truncate(version)}'");
    }
}

namespace Mesh.Orleans.Silo;

/// <summary>
/// The product's command line. Flags map onto configuration keys; any other
/// <c>--Section:Key value</c> pair passes through to configuration as ASP.NET Core reads it.
/// </summary>
public static class MeshCommandLine
{
    /// <summary>Flag to configuration key.</summary>
    public static IReadOnlyDictionary<string, string> Flags { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--config"] = "Mesh:Source:Directory",
        ["--cluster-id"] = "Mesh:Source:ClusterId",
        ["--kubeconfig"] = "Mesh:Kubernetes:Kubeconfig",
        ["--clusters"] = "Mesh:Kubernetes:ClustersFile",
        ["--xds-port"] = "Mesh:XdsPort",
        ["--xds-address"] = "Mesh:XdsAddress",
        ["--xds-tls-port"] = "Mesh:XdsTlsPort",
        ["--no-plaintext-xds"] = "Mesh:NoPlaintextXds",
        ["--token-file"] = "Mesh:Security:TokenFile",
        ["--debug-port"] = "Mesh:DebugPort",
        ["--debug-address"] = "Mesh:DebugAddress",
        ["--silo-port"] = "Mesh:SiloPort",
        ["--gateway-port"] = "Mesh:GatewayPort",
        ["--role"] = "Mesh:Role",
        ["--redis"] = "Mesh:Redis",
        ["--service-id"] = "Mesh:ServiceId",
        ["--advertise-address"] = "Mesh:AdvertiseAddress",
        ["--ca-cert"] = "Mesh:Security:CaCertFile",
        ["--ca-key"] = "Mesh:Security:CaKeyFile",
        ["--trust-domain"] = "Mesh:Security:TrustDomain",
    };

    /// <summary>What <c>--help</c> prints.</summary>
    public const string Usage = """
        Usage: dotnet run --project Silo -- [options]

          --config DIR          Kubernetes/Istio YAML directory to serve and watch (default: the sample mesh,
                                unless --kubeconfig/--clusters are given or it runs in a pod)
          --xds-port P          plaintext xDS (ADS) port; 0 picks a free port and prints it (default 15010)
          --xds-tls-port P      TLS xDS port (ADS, SDS and Istio's CA service; callers authenticate with a mesh
                                client certificate or a bearer token); 0 picks a free port and prints it (default 15012)
          --no-plaintext-xds    do not open the plaintext xDS port: only the TLS port serves
          --xds-address A       address the xDS ports bind to (default 127.0.0.1)
          --debug-port P        debug HTTP port for /debug/syncz and /debug/config (default 15014)
          --debug-address A     address the debug port binds to (default 127.0.0.1)
          --kubeconfig FILE     read one Kubernetes cluster's API with FILE's current context (as --cluster-id)
          --clusters FILE       read several member clusters: a YAML list of {id, kubeconfig, network, region, zone}
          --cluster-id ID       member cluster id of the directory or of --kubeconfig (default Kubernetes)
          --silo-port P         Orleans silo port (default 11111)
          --gateway-port P      Orleans gateway port; for --role frontend, the silo gateway to join (default 30000)
          --role R              all (default), silo (silo and sources only), or frontend (xDS frontend only)
          --redis HOST:PORT     share membership and grain state through Redis (or a StackExchange.Redis
                                connection string): several silos and frontends; default: one silo, in memory
          --service-id ID       the deployment's Orleans cluster/service id in Redis (default mesh-orleans)
          --advertise-address A the IP other silos and frontends reach this silo at (default 127.0.0.1)
          --ca-cert FILE        a plug-in CA's signing certificate (PEM, Istio's ca-cert.pem), with --ca-key;
                                default: a self-signed root made at first start and kept in grain storage
          --ca-key FILE         the plug-in CA's private key (PEM, Istio's ca-key.pem)
          --token-file FILE     bearer tokens for the TLS port without Kubernetes: TOKEN NAMESPACE SERVICEACCOUNT per line
          --trust-domain TD     the trust domain of workload identities spiffe://TD/ns/N/sa/SA (default cluster.local)
          --Section:Key VALUE   any other configuration value, e.g. --Mesh:Source:DebounceQuiet 00:00:00.200
          --help                this text
        """;

    /// <summary>Parses <paramref name="args"/> into configuration pairs, or an error.</summary>
    public static (Dictionary<string, string?> Values, bool Help, string? Error) Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "-h")
            {
                return (values, true, null);
            }

            string flag = arg;
            string? value = null;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                flag = arg[..equals];
                value = arg[(equals + 1)..];
            }

            string key;
            if (Flags.TryGetValue(flag, out var mapped))
            {
                key = mapped;
            }
            else if (flag.StartsWith("--", StringComparison.Ordinal) && flag.Contains(':', StringComparison.Ordinal))
            {
                key = flag[2..];
            }
            else
            {
                return (values, false, $"unknown option '{arg}'");
            }

            if (flag == "--no-plaintext-xds")
            {
                // A switch: no value follows (--no-plaintext-xds=false is still accepted).
                values[key] = value ?? "true";
                continue;
            }

            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    return (values, false, $"option '{flag}' needs a value");
                }

                value = args[++i];
            }

            if (flag is "--xds-port" or "--xds-tls-port" or "--debug-port" or "--silo-port" or "--gateway-port"
                && (!int.TryParse(value, out var port) || port < 0 || port > 65535))
            {
                return (values, false, $"option '{flag}' needs a port number from 0 to 65535, not '{value}'");
            }

            if (flag == "--role" && value is not ("all" or "silo" or "frontend"))
            {
                return (values, false, $"option '--role' needs all, silo or frontend, not '{value}'");
            }

            values[key] = value;
        }

        return (values, false, null);
    }
}

using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Mesh.Orleans.Grains;
using Mesh.Orleans.Silo.Sources;
using Mesh.Orleans.Xds.Frontend;

namespace Mesh.Orleans.Silo;

/// <summary>
/// Checks the settings before the host starts, so that a mistake ends the process with one line
/// naming the flag and its value (<c>error: --xds-port 15010: address 127.0.0.1:15010 is
/// already in use</c>) instead of an exception from deep inside Kestrel or Orleans: every option
/// converts to its type and passes its validation, addresses parse, the config directory
/// exists, and the ports this process will bind are free.
/// </summary>
public static class StartupCheck
{
    /// <summary>Every options class the host binds, with its section.</summary>
    private static readonly (string Section, Type Type)[] s_options =
    [
        (MeshHostOptions.Section, typeof(MeshHostOptions)),
        (ShutdownOptions.Section, typeof(ShutdownOptions)),
        (YamlSourceOptions.Section, typeof(YamlSourceOptions)),
        (XdsFrontendOptions.Section, typeof(XdsFrontendOptions)),
        (ProxyGrainOptions.Section, typeof(ProxyGrainOptions)),
        (MeshTrafficOptions.Section, typeof(MeshTrafficOptions)),
        (MeshScopingOptions.Section, typeof(MeshScopingOptions)),
        (Grains.Interfaces.Security.MeshSecurityOptions.Section, typeof(Grains.Interfaces.Security.MeshSecurityOptions)),
        (Sources.Kubernetes.KubernetesSourceOptions.Section, typeof(Sources.Kubernetes.KubernetesSourceOptions)),
        (MeshClustering.MembershipSection, typeof(global::Orleans.Configuration.ClusterMembershipOptions)),
    ];

    /// <summary>The first problem with <paramref name="configuration"/>, as one line without the <c>error: </c> prefix, or null.</summary>
    public static string? FindProblem(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var (section, type) in s_options)
        {
            if (CheckOptions(configuration, section, type) is { } problem)
            {
                return problem;
            }
        }

        var host = configuration.GetSection(MeshHostOptions.Section).Get<MeshHostOptions>() ?? new MeshHostOptions();
        var frontend = host.Role is MeshRole.All or MeshRole.Frontend;
        var silo = host.Role is MeshRole.All or MeshRole.Silo;
        if (frontend && !IPAddress.TryParse(host.XdsAddress, out _))
        {
            return $"{Flag("Mesh:XdsAddress")} {host.XdsAddress}: not an IP address";
        }

        if (!IPAddress.TryParse(host.DebugAddress, out _))
        {
            return $"{Flag("Mesh:DebugAddress")} {host.DebugAddress}: not an IP address";
        }

        if (host.Redis is { } redis)
        {
            try
            {
                RedisConfiguration.Parse(redis);
            }
            catch (ArgumentException exception)
            {
                return $"{Flag("Mesh:Redis")} {redis}: {exception.Message.Split(" (Parameter", 2)[0]}";
            }

            if (silo && !IPAddress.TryParse(host.AdvertiseAddress, out _))
            {
                return $"{Flag("Mesh:AdvertiseAddress")} {host.AdvertiseAddress}: not an IP address";
            }
        }

        if (silo && CheckCa(configuration) is { } caProblem)
        {
            return caProblem;
        }

        if (frontend && CheckTokenFile(configuration) is { } tokenProblem)
        {
            return tokenProblem;
        }

        if (silo)
        {
            var source = configuration.GetSection(YamlSourceOptions.Section).Get<YamlSourceOptions>() ?? new YamlSourceOptions();
            if (!Directory.Exists(source.Directory))
            {
                return $"{Flag("Mesh:Source:Directory")} {source.Directory}: the directory does not exist";
            }

            try
            {
                // The clusters file and kubeconfig: read now, so a mistake names its line and field.
                Sources.Kubernetes.MemberClusters.From(configuration, static () => false);
            }
            catch (MeshStartupException exception)
            {
                return exception.Message;
            }
        }

        var ports = new List<(string Key, IPAddress Address, int Port)>();
        if (frontend)
        {
            if (!host.NoPlaintextXds)
            {
                ports.Add(("Mesh:XdsPort", IPAddress.Parse(host.XdsAddress), host.XdsPort));
            }

            ports.Add(("Mesh:XdsTlsPort", IPAddress.Parse(host.XdsAddress), host.XdsTlsPort));
        }

        ports.Add(("Mesh:DebugPort", IPAddress.Parse(host.DebugAddress), host.DebugPort));
        if (silo)
        {
            // Localhost clustering binds the silo and gateway ports on the loopback address; with
            // Redis, on the advertised address.
            var bind = host.Redis is not null && IPAddress.TryParse(host.AdvertiseAddress, out var advertised) ? advertised : IPAddress.Loopback;
            ports.Add(("Mesh:SiloPort", bind, host.SiloPort));
            ports.Add(("Mesh:GatewayPort", bind, host.GatewayPort));
        }

        return CheckPortsFree(ports);
    }

    /// <summary>The first port that cannot be bound. All are held until every one is tried, so two settings naming one port are caught too.</summary>
    private static string? CheckPortsFree(IEnumerable<(string Key, IPAddress Address, int Port)> ports)
    {
        var held = new List<Socket>();
        try
        {
            foreach (var (key, address, port) in ports)
            {
                if (port == 0)
                {
                    continue;
                }

                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                held.Add(socket);
                try
                {
                    socket.Bind(new IPEndPoint(address, port));
                    socket.Listen();
                }
                catch (SocketException exception)
                {
                    var endpoint = new IPEndPoint(address, port);
                    return exception.SocketErrorCode == SocketError.AddressAlreadyInUse
                        ? $"{Flag(key)} {port}: address {endpoint} is already in use"
                        : $"{Flag(key)} {port}: cannot listen on {endpoint}: {exception.Message}";
                }
            }

            return null;
        }
        finally
        {
            foreach (var socket in held)
            {
                socket.Dispose();
            }
        }
    }

    private static string? CheckOptions(IConfiguration configuration, string section, Type type)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = section + ":" + property.Name;
            var value = configuration[key];
            var list = property.PropertyType == typeof(List<string>);
            if (value is null)
            {
                // A list binds from indexed keys (Section:Key:0, :1, ...), as the host binds it.
                if (list && configuration.GetSection(key).GetChildren().Any())
                {
                    property.SetValue(instance, configuration.GetSection(key).Get<List<string>>());
                }

                continue;
            }

            if (list)
            {
                return $"{Flag(key)} {value}: a list; give its entries as {Flag(key)}:0, {Flag(key)}:1, ...";
            }

            object? converted;
            try
            {
                converted = TypeDescriptor.GetConverter(property.PropertyType).ConvertFromInvariantString(value);
            }
            catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException or OverflowException)
            {
                return $"{Flag(key)} {value}: not {Describe(property.PropertyType)}";
            }

            if (property.PropertyType.IsEnum && !Enum.IsDefined(property.PropertyType, converted!))
            {
                return $"{Flag(key)} {value}: not {Describe(property.PropertyType)}";
            }

            property.SetValue(instance, converted);
        }

        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(instance, new ValidationContext(instance), results, validateAllProperties: true))
        {
            return null;
        }

        var result = results[0];
        var member = result.MemberNames.FirstOrDefault() ?? string.Empty;
        var memberKey = section + ":" + member;
        var current = type.GetProperty(member)?.GetValue(instance);
        var shown = configuration[memberKey]
            ?? (current is List<string> entries ? string.Join(',', entries) : Convert.ToString(current, CultureInfo.InvariantCulture))
            ?? string.Empty;
        return $"{Flag(memberKey)} {shown}: {result.ErrorMessage}";
    }

    /// <summary>A plug-in CA must be given whole (certificate and key), as files that load as a CA able to sign now.</summary>
    private static string? CheckTokenFile(IConfiguration configuration)
    {
        var file = configuration["Mesh:Security:TokenFile"];
        if (file is null)
        {
            return null;
        }

        try
        {
            // The reason names a line, never a token.
            _ = new Xds.Frontend.Security.StaticTokenFile(file);
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
        {
            return $"{Flag("Mesh:Security:TokenFile")} {file}: {(exception is FileNotFoundException or DirectoryNotFoundException ? "no such file" : exception.Message)}";
        }
    }

    private static string? CheckCa(IConfiguration configuration)
    {
        var security = configuration.GetSection(Grains.Interfaces.Security.MeshSecurityOptions.Section).Get<Grains.Interfaces.Security.MeshSecurityOptions>() ?? new Grains.Interfaces.Security.MeshSecurityOptions();
        if (security.CaCertFile is null && security.CaKeyFile is null)
        {
            return security.CaChainFile is null ? null : $"{Flag("Mesh:Security:CaChainFile")} {security.CaChainFile}: given without --ca-cert and --ca-key";
        }

        if (security.CaCertFile is null || security.CaKeyFile is null)
        {
            return security.CaCertFile is null
                ? $"{Flag("Mesh:Security:CaKeyFile")} {security.CaKeyFile}: given without --ca-cert"
                : $"{Flag("Mesh:Security:CaCertFile")} {security.CaCertFile}: given without --ca-key";
        }

        foreach (var (key, file) in new[] { ("Mesh:Security:CaCertFile", security.CaCertFile), ("Mesh:Security:CaKeyFile", security.CaKeyFile), ("Mesh:Security:CaChainFile", security.CaChainFile) })
        {
            if (file is not null && !File.Exists(file))
            {
                return $"{Flag(key)} {file}: no such file";
            }
        }

        try
        {
            using var ca = Grains.Security.MeshCertificateAuthority.FromPem(
                File.ReadAllText(security.CaCertFile),
                File.ReadAllText(security.CaKeyFile),
                security.CaChainFile is null ? null : File.ReadAllText(security.CaChainFile),
                security.TrustDomain);
            return null;
        }
        catch (ArgumentException exception)
        {
            // The reason names certificates and the key's fit, never the key's content.
            return $"{Flag("Mesh:Security:CaCertFile")} {security.CaCertFile}: {exception.Message.Split(" (Parameter", 2)[0]}";
        }
        catch (IOException exception)
        {
            return $"{Flag("Mesh:Security:CaCertFile")} {security.CaCertFile}: {exception.Message}";
        }
    }

    /// <summary>
    /// The one line for a start that failed after the checks passed. Redis that does not answer
    /// (down, or not there yet) names <c>--redis</c> and what the connection said, so an operator
    /// reads the cause rather than a client library's diagnostics; anything else is every
    /// message of the exception chain.
    /// </summary>
    public static string DescribeStartFailure(Exception exception, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(configuration);
        var chain = new List<Exception>();
        for (var e = exception; e is not null; e = e.InnerException)
        {
            chain.Add(e);
        }

        var redis = configuration.GetSection(MeshHostOptions.Section).Get<MeshHostOptions>()?.Redis;
        if (redis is not null && chain.Any(e => e is StackExchange.Redis.RedisConnectionException or StackExchange.Redis.RedisTimeoutException))
        {
            var cause = chain.LastOrDefault(e => e is System.Net.Sockets.SocketException)?.Message ?? "no connection within the timeout";
            return $"{Flag("Mesh:Redis")} {redis}: Redis did not answer ({cause}); start it first, or let the supervisor restart this process until it does";
        }

        return "could not start: " + string.Join(": ", chain.Where(e => e is not AggregateException).Select(e => e.Message.ReplaceLineEndings(" ")));
    }

    /// <summary>The command-line flag that sets <paramref name="key"/>: its named flag, or <c>--Section:Key</c>.</summary>
    public static string Flag(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var (flag, mapped) in MeshCommandLine.Flags)
        {
            if (string.Equals(mapped, key, StringComparison.OrdinalIgnoreCase))
            {
                return flag;
            }
        }

        return "--" + key;
    }

    private static string Describe(Type type) =>
        type == typeof(TimeSpan) ? "a time span (hh:mm:ss[.fff], e.g. 00:00:00.200)"
        : type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(bool) ? "true or false"
        : type.IsEnum ? "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))
        : "a valid " + type.Name;
}

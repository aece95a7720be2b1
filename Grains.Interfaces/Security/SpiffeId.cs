using System.Diagnostics.CodeAnalysis;

namespace Mesh.Orleans.Grains.Interfaces.Security;

/// <summary>
/// A workload identity as Istio writes it: <c>spiffe://&lt;trust-domain&gt;/ns/&lt;namespace&gt;/sa/&lt;service-account&gt;</c>.
/// The trust domain is a DNS-like name (lower-case letters, digits, <c>.</c>, <c>-</c>, <c>_</c>);
/// namespace and service account are Kubernetes names (RFC 1123 labels, service accounts
/// subdomains), so nothing parsed here can smuggle a path segment, a query or a second identity.
/// </summary>
public sealed record SpiffeId(string TrustDomain, string Namespace, string ServiceAccount)
{
    /// <summary>The URI scheme prefix.</summary>
    public const string Scheme = "spiffe://";

    /// <summary>Istio's default trust domain.</summary>
    public const string DefaultTrustDomain = "cluster.local";

    /// <summary>The identity's URI.</summary>
    public override string ToString() => $"{Scheme}{TrustDomain}/ns/{Namespace}/sa/{ServiceAccount}";

    /// <summary>The identity of <paramref name="value"/>, or null with the reason in <paramref name="problem"/>.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out SpiffeId? id, [NotNullWhen(false)] out string? problem)
    {
        id = null;
        if (string.IsNullOrEmpty(value))
        {
            problem = "empty";
            return false;
        }

        if (value.Length > 2048)
        {
            problem = "longer than 2048 characters";
            return false;
        }

        if (!value.StartsWith(Scheme, StringComparison.Ordinal))
        {
            problem = $"not a {Scheme} URI";
            return false;
        }

        var parts = value[Scheme.Length..].Split('/');
        if (parts.Length != 5 || parts[1] != "ns" || parts[3] != "sa")
        {
            problem = "not of the form spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>";
            return false;
        }

        if (!IsTrustDomain(parts[0]))
        {
            problem = $"trust domain '{parts[0]}' is not a lower-case DNS-like name";
            return false;
        }

        if (!IsDnsLabel(parts[2]))
        {
            problem = $"namespace '{parts[2]}' is not a Kubernetes namespace name";
            return false;
        }

        if (!IsDnsSubdomain(parts[4]))
        {
            problem = $"service account '{parts[4]}' is not a Kubernetes service account name";
            return false;
        }

        id = new SpiffeId(parts[0], parts[2], parts[4]);
        problem = null;
        return true;
    }

    /// <summary>Whether <paramref name="value"/> can be a trust domain: 1-255 characters of a-z, 0-9, '.', '-', '_'.</summary>
    public static bool IsTrustDomain(string value) =>
        value.Length is > 0 and <= 255 && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '-' or '_');

    /// <summary>An RFC 1123 label: 1-63 of a-z, 0-9 and '-', starting and ending alphanumeric.</summary>
    public static bool IsDnsLabel(string value) =>
        value.Length is > 0 and <= 63
        && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-')
        && value[0] != '-' && value[^1] != '-';

    /// <summary>An RFC 1123 subdomain: dot-separated labels, at most 253 characters.</summary>
    public static bool IsDnsSubdomain(string value) =>
        value.Length is > 0 and <= 253 && value.Split('.').All(IsDnsLabel);
}

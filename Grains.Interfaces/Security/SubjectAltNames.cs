using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;

namespace Mesh.Orleans.Grains.Interfaces.Security;

/// <summary>
/// The names in a subjectAltName extension (RFC 5280 4.2.1.6), read with .NET's ASN.1 reader:
/// .NET's own extension type lists DNS names and IP addresses but not URIs, and a SPIFFE identity
/// is a URI. Every name is kept, so a caller can refuse what it did not expect.
/// </summary>
public sealed record SubjectAltNames(IReadOnlyList<string> Uris, IReadOnlyList<string> DnsNames, IReadOnlyList<string> Others)
{
    private static readonly Asn1Tag s_dns = new(TagClass.ContextSpecific, 2);
    private static readonly Asn1Tag s_uri = new(TagClass.ContextSpecific, 6);

    /// <summary>The names of every subjectAltName extension in <paramref name="extensions"/>; throws <see cref="AsnContentException"/> on a malformed one.</summary>
    public static SubjectAltNames Read(IEnumerable<X509Extension> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        var uris = new List<string>();
        var dns = new List<string>();
        var others = new List<string>();
        foreach (var extension in extensions.Where(e => e.Oid?.Value == "2.5.29.17"))
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            var names = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(s_uri))
                {
                    uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, s_uri));
                }
                else if (tag.HasSameClassAndValue(s_dns))
                {
                    dns.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, s_dns));
                }
                else
                {
                    names.ReadEncodedValue();
                    others.Add($"[{tag.TagValue}]");
                }
            }
        }

        return new SubjectAltNames(uris, dns, others);
    }
}

using System.ComponentModel.DataAnnotations;

namespace Mesh.Orleans.Grains;

/// <summary>
/// Mesh-wide scoping settings (section <c>Mesh:Scoping</c>), as Istio's MeshConfig has them: the
/// root namespace, whose Sidecar (without a selector) and DestinationRules apply to every
/// namespace, and the <c>exportTo</c> of Services, VirtualServices and DestinationRules that set
/// none. A list binds from indexed keys: <c>Mesh:Scoping:DefaultServiceExportTo:0=.</c>,
/// <c>...:1=shared</c>; each entry is <c>.</c> (the object's own namespace), <c>*</c> (every
/// namespace), <c>~</c> (no one) or a namespace name, and <c>*</c> or <c>~</c> stand alone.
/// </summary>
public sealed class MeshScopingOptions : IValidatableObject
{
    /// <summary>The configuration section the options bind to.</summary>
    public const string Section = "Mesh:Scoping";

    /// <summary>
    /// The root (config) namespace (Istio's <c>rootNamespace</c>): its Sidecar without a
    /// <c>workloadSelector</c> is the default of every namespace that has none, and its
    /// DestinationRules are looked up last for every proxy. A namespace name; default <c>istio-system</c>.
    /// </summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "must name a namespace")]
    [RegularExpression("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", ErrorMessage = "must be a namespace name (a lowercase DNS label)")]
    public string RootNamespace { get; set; } = "istio-system";

    /// <summary>
    /// Where a Service or ServiceEntry without <c>exportTo</c> (for a Service, the annotation
    /// <c>networking.istio.io/exportTo</c>) is visible (Istio's <c>defaultServiceExportTo</c>).
    /// Null or empty means <c>*</c>, the default.
    /// </summary>
    public List<string>? DefaultServiceExportTo { get; set; }

    /// <summary>
    /// Where a VirtualService without <c>exportTo</c> is visible (Istio's
    /// <c>defaultVirtualServiceExportTo</c>). Null or empty means <c>*</c>, the default.
    /// </summary>
    public List<string>? DefaultVirtualServiceExportTo { get; set; }

    /// <summary>
    /// Where a DestinationRule without <c>exportTo</c> is visible (Istio's
    /// <c>defaultDestinationRuleExportTo</c>). As in Istio only <c>.</c> and <c>*</c> decide: a list
    /// holding <c>.</c> keeps such rules in their namespace, any other list exports them everywhere.
    /// Null or empty means <c>*</c>, the default.
    /// </summary>
    public List<string>? DefaultDestinationRuleExportTo { get; set; }

    /// <summary>The effective <see cref="DefaultServiceExportTo"/>: <c>*</c> when none is set.</summary>
    public IReadOnlyList<string> ServiceExportTo => Effective(DefaultServiceExportTo);

    /// <summary>The effective <see cref="DefaultVirtualServiceExportTo"/>: <c>*</c> when none is set.</summary>
    public IReadOnlyList<string> VirtualServiceExportTo => Effective(DefaultVirtualServiceExportTo);

    /// <summary>The effective <see cref="DefaultDestinationRuleExportTo"/>: <c>*</c> when none is set.</summary>
    public IReadOnlyList<string> DestinationRuleExportTo => Effective(DefaultDestinationRuleExportTo);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, list) in new[]
        {
            (nameof(DefaultServiceExportTo), DefaultServiceExportTo),
            (nameof(DefaultVirtualServiceExportTo), DefaultVirtualServiceExportTo),
            (nameof(DefaultDestinationRuleExportTo), DefaultDestinationRuleExportTo),
        })
        {
            if (ExportToProblem(list) is { } problem)
            {
                yield return new ValidationResult(problem, [name]);
            }
        }
    }

    /// <summary>Why <paramref name="exportTo"/> is not a list of exportTo entries, or null.</summary>
    private static string? ExportToProblem(List<string>? exportTo)
    {
        if (exportTo is null)
        {
            return null;
        }

        for (var i = 0; i < exportTo.Count; i++)
        {
            var entry = exportTo[i];
            if (entry is not ("." or "*" or "~") && !IsNamespace(entry))
            {
                return $"entry {i} '{entry}' is not '.', '*', '~' or a namespace name";
            }

            if (entry is "*" or "~" && exportTo.Count > 1)
            {
                return $"'{entry}' must stand alone, not with other entries";
            }
        }

        return null;
    }

    private static bool IsNamespace(string value) =>
        value.Length is > 0 and <= 63
        && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        && value[0] != '-' && value[^1] != '-';

    private static List<string> Effective(List<string>? exportTo) => exportTo is { Count: > 0 } ? exportTo : ["*"];
}

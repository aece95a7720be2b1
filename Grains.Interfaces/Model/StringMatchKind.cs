namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>How an Istio <c>StringMatch</c> compares.</summary>
public enum StringMatchKind
{
    /// <summary>The whole value equals.</summary>
    Exact = 0,

    /// <summary>The value starts with.</summary>
    Prefix = 1,

    /// <summary>The value matches an RE2 regular expression.</summary>
    Regex = 2,

    /// <summary>The header or parameter is present, whatever its value (an empty <c>StringMatch</c>, or <c>regex: "*"</c> in <c>withoutHeaders</c>).</summary>
    Present = 3,
}

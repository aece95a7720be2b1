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
}

namespace Mesh.Orleans.Grains.Interfaces.Model;

/// <summary>What a patch does (Istio's <c>EnvoyFilter.Patch.Operation</c>); the numbers are Istio's.</summary>
public enum EnvoyFilterOperation
{
    /// <summary>Protobuf merge of the value into each matched object.</summary>
    Merge = 1,

    /// <summary>Appends the value to the list it belongs to.</summary>
    Add = 2,

    /// <summary>Removes each matched object.</summary>
    Remove = 3,

    /// <summary>Inserts the value before the first matched object of a list.</summary>
    InsertBefore = 4,

    /// <summary>Inserts the value after the first matched object of a list.</summary>
    InsertAfter = 5,

    /// <summary>Inserts the value first in the list.</summary>
    InsertFirst = 6,

    /// <summary>Replaces the first matched object with the value.</summary>
    Replace = 7,
}

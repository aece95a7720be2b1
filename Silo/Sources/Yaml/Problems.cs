namespace Mesh.Orleans.Silo.Sources.Yaml;

/// <summary>
/// Collects the problems of one object, so that a rejection reports every one of them (each
/// list item is checked even after an earlier item failed), not only the first. At most
/// <see cref="MaxListed"/> are spelled out, so a hostile object cannot make the reason huge.
/// </summary>
internal sealed class Problems
{
    /// <summary>Most problems spelled out in a reason; the rest are counted.</summary>
    public const int MaxListed = 20;

    private readonly List<InvalidFieldException> _found = [];

    /// <summary>How many problems were found so far.</summary>
    public int Count => _found.Count;

    /// <summary>Runs <paramref name="validate"/>, keeping its problem, if any, and carrying on.</summary>
    public void Check(Action validate)
    {
        try
        {
            validate();
        }
        catch (InvalidFieldException problem)
        {
            _found.Add(problem);
        }
    }

    /// <summary>
    /// Throws one <see cref="InvalidFieldException"/> naming the first problem's field, whose
    /// reason lists every problem found; does nothing when there was none.
    /// </summary>
    public void ThrowIfAny()
    {
        switch (_found.Count)
        {
            case 0:
                return;
            case 1:
                throw _found[0];
        }

        var rest = _found.Skip(1).Take(MaxListed - 1).Select(p => $"{p.Field}: {p.Reason}");
        var unlisted = _found.Count - MaxListed;
        var reason = $"{_found[0].Reason}; and {_found.Count - 1} more: {string.Join("; ", rest)}{(unlisted > 0 ? $"; ... ({unlisted} not listed)" : string.Empty)}";
        throw new InvalidFieldException(_found[0].Field, reason);
    }
}

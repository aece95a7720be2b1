using System.Text;

namespace Mesh.Orleans.Cli.Output;

/// <summary>
/// Lays rows out as istioctl does with Go's <c>text/tabwriter</c> (minimum width 0, pad
/// character a space): every cell but the last of a row is padded to its column's widest cell
/// plus <c>padding</c> spaces, and the last cell is written as it is. So a table printed
/// here lines up with, and diffs against, what istioctl prints for the same data.
/// </summary>
/// <param name="padding">Spaces after a column's widest cell: 5 for istioctl's status, cluster, route and endpoint tables, 1 for listeners.</param>
internal sealed class TableWriter(int padding)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row (the header is the first one added).</summary>
    public void Add(params string[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        _rows.Add(cells);
    }

    /// <summary>Writes the rows, each ending with a newline.</summary>
    public void WriteTo(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var widths = new List<int>();
        foreach (var row in _rows)
        {
            for (var i = 0; i < row.Length - 1; i++)
            {
                if (i == widths.Count)
                {
                    widths.Add(0);
                }

                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        var line = new StringBuilder();
        foreach (var row in _rows)
        {
            line.Clear();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(row[i]);
                if (i < row.Length - 1)
                {
                    line.Append(' ', widths[i] - row[i].Length + padding);
                }
            }

            output.WriteLine(line.ToString());
        }
    }
}

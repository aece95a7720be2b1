using Mesh.Orleans.Cli.Output;

namespace Mesh.Orleans.Tests.Cli.Output;

public sealed class TableWriterTests
{
    [Fact]
    public void WriteTo_PadsEachColumnButTheLastToItsWidestCellPlusThePadding_AsGosTabwriter()
    {
        var table = new TableWriter(padding: 3);
        table.Add("NAME", "PORT", "WHAT");
        table.Add("a-long-name", "8080", string.Empty);
        table.Add("b", "1", "last cell as it is");
        using var output = new StringWriter { NewLine = "\n" };

        table.WriteTo(output);

        Assert.Equal(
            "NAME          PORT   WHAT\n" +
            "a-long-name   8080   \n" +
            "b             1      last cell as it is\n",
            output.ToString());
    }
}

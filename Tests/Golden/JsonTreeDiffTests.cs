using System.Text.Json.Nodes;

namespace Mesh.Orleans.Tests.Golden;

/// <summary>The golden comparison finds every kind of difference and names where it is.</summary>
public sealed class JsonTreeDiffTests
{
    private static IReadOnlyList<string> Diff(string expected, string actual) =>
        JsonTreeDiff.Compare(JsonNode.Parse(expected), JsonNode.Parse(actual));

    [Fact]
    public void Compare_EqualTreesWithKeysInAnotherOrder_FindsNothing()
    {
        Assert.Empty(Diff("""{"a": 1, "b": {"c": [1, 2]}}""", """{"b": {"c": [1, 2]}, "a": 1}"""));
    }

    [Fact]
    public void Compare_ADifferentValueDeepInside_NamesItsPath()
    {
        var differences = Diff(
            """{"virtual_hosts": [{"routes": [{"route": {"timeout": "0s"}}]}]}""",
            """{"virtual_hosts": [{"routes": [{"route": {"timeout": "15s"}}]}]}""");

        Assert.Equal(["$.virtual_hosts[0].routes[0].route.timeout: expected \"0s\", served \"15s\""], differences);
    }

    [Fact]
    public void Compare_AMissingAndAnUnexpectedField_ReportsBoth()
    {
        var differences = Diff("""{"a": 1, "b": 2}""", """{"a": 1, "c": 3}""");

        Assert.Equal(["$.b: missing (expected 2)", "$.c: unexpected (served 3)"], differences);
    }

    [Fact]
    public void Compare_ArraysOfDifferentLengthOrOrder_AreDifferent()
    {
        Assert.Equal(["$.x[2]: missing (expected 3)"], Diff("""{"x": [1, 2, 3]}""", """{"x": [1, 2]}"""));
        Assert.Equal(2, Diff("""{"x": [1, 2]}""", """{"x": [2, 1]}""").Count);
    }

    [Fact]
    public void Compare_Domains_InAnyOrder_AreEqual_ButNotWithADifferentSet()
    {
        Assert.Empty(Diff("""{"domains": ["a", "b:80"]}""", """{"domains": ["b:80", "a"]}"""));

        var differences = Diff("""{"domains": ["a", "b:80"]}""", """{"domains": ["a", "c"]}""");

        Assert.Single(differences);
        Assert.StartsWith("$.domains (any order): missing [\"b:80\"], unexpected [\"c\"]", differences[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_A64BitIntegerWrittenAsAString_EqualsTheNumber()
    {
        Assert.Empty(Diff("""{"host_selection_retry_max_attempts": 5}""", """{"host_selection_retry_max_attempts": "5"}"""));
        Assert.Single(Diff("""{"n": 5}""", """{"n": "6"}"""));
        Assert.Single(Diff("""{"name": "05"}""", """{"name": "5"}"""));
    }

    [Fact]
    public void Compare_AnObjectWhereAValueWasExpected_IsADifference()
    {
        Assert.Equal(["$.a: expected 1, served {\"b\":1}"], Diff("""{"a": 1}""", """{"a": {"b": 1}}"""));
    }
}

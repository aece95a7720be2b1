using Mesh.Orleans.Silo.Sources;

namespace Mesh.Orleans.Tests.Silo.Sources;

public sealed class ReportedOnceTests
{
    [Fact]
    public void New_SameProblemsOnTheNextPass_AreNotReportedAgain()
    {
        var reported = new ReportedOnce();

        Assert.Equal(["a", "b"], reported.New(["a", "b"], x => x));
        Assert.Empty(reported.New(["b", "a"], x => x));
        Assert.Equal(["c"], reported.New(["a", "c"], x => x));
    }

    [Fact]
    public void New_ProblemThatWentAwayAndCameBack_IsReportedAgain()
    {
        var reported = new ReportedOnce();
        reported.New(["a"], x => x);
        reported.New([], (string x) => x);

        Assert.Equal(["a"], reported.New(["a"], x => x));
    }
}

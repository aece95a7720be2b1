using CsCheck;

namespace Mesh.Orleans.Tests.Infrastructure;

/// <summary>
/// Reproducible streams of generated fuzz cases. CsCheck's <c>Sample(seed: ...)</c> fixes only
/// its first iteration and draws the others at random, so a fuzz test here takes every case
/// from one PCG with a fixed seed instead: every run tries the same cases, and a failure names
/// the seed and index that reproduce it.
/// </summary>
public static class FuzzCases
{
    /// <summary>The first <paramref name="count"/> values of <paramref name="gen"/> from <paramref name="seed"/>.</summary>
    public static IEnumerable<T> Generate<T>(Gen<T> gen, ulong seed, int count)
    {
        ArgumentNullException.ThrowIfNull(gen);
        var pcg = new PCG(1, seed);
        for (var i = 0; i < count; i++)
        {
            yield return gen.Generate(pcg, null!, out _);
        }
    }

    /// <summary>Runs <paramref name="work"/> on the thread pool and fails if it takes longer than <paramref name="timeout"/>, so a hang fails the test instead of stalling the run.</summary>
    public static Task BoundedAsync(Action work, TimeSpan timeout) => Task.Run(work).WaitAsync(timeout);

    /// <summary>A short, printable rendering of fuzz input for a failure message.</summary>
    public static string Show(string text, int max = 300)
    {
        ArgumentNullException.ThrowIfNull(text);
        var builder = new System.Text.StringBuilder();
        foreach (var c in text.Length <= max ? text : text[..max])
        {
            builder.Append(c switch
            {
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) || c == '\uFEFF' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Length <= max ? builder.ToString() : builder + $"… ({text.Length} chars)";
    }
}

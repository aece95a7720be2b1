using Mesh.Orleans.Grains.Interfaces;

namespace Mesh.Orleans.Grains;

/// <summary>
/// The sidecar scopes in use (<see cref="IScopeDirectoryGrain"/>). The set is stored, so a
/// reactivated directory still hands change batches to every scope; a scope that stops renewing
/// (its grain went with a silo without ending its registration) is dropped after
/// <see cref="Lifetime"/>.
/// </summary>
public sealed class ScopeDirectoryGrain(
    [PersistentState("scopes", GrainStorage.Mesh)] IPersistentState<ScopeDirectoryState> state,
    TimeProvider time) : Grain, IScopeDirectoryGrain
{
    /// <summary>How long a registration lives without renewal (scopes renew every minute).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, DateTimeOffset> _renewed = new(StringComparer.Ordinal);
    private IReadOnlyList<string> _list = [];

    /// <inheritdoc/>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // What was stored counts as renewed now: each scope has a lifetime to renew again.
        foreach (var scope in state.State.Scopes)
        {
            _renewed[scope] = time.GetUtcNow();
        }

        _list = Sorted();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public async Task RegisterAsync(string scope)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        var isNew = !_renewed.ContainsKey(scope);
        _renewed[scope] = time.GetUtcNow();
        if (isNew)
        {
            await SaveAsync();
        }
    }

    /// <inheritdoc/>
    public async Task UnregisterAsync(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (_renewed.Remove(scope))
        {
            await SaveAsync();
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> GetScopesAsync()
    {
        var expired = _renewed.Where(r => time.GetUtcNow() - r.Value > Lifetime).Select(r => r.Key).ToList();
        if (expired.Count > 0)
        {
            expired.ForEach(s => _renewed.Remove(s));
            await SaveAsync();
        }

        return _list;
    }

    private async Task SaveAsync()
    {
        _list = Sorted();
        state.State.Scopes = _list.ToList();
        await state.WriteStateAsync();
    }

    private List<string> Sorted() => _renewed.Keys.Order(StringComparer.Ordinal).ToList();
}

/// <summary>The stored state of <see cref="ScopeDirectoryGrain"/>: the registered scopes.</summary>
[GenerateSerializer]
public sealed class ScopeDirectoryState
{
    /// <summary>The registered scopes.</summary>
    [Id(0)]
    public List<string> Scopes { get; set; } = [];
}

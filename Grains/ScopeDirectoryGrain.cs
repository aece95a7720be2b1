using Mesh.Orleans.Grains.Interfaces;
using Mesh.Orleans.Grains.Interfaces.Model;
using Microsoft.Extensions.Logging;

namespace Mesh.Orleans.Grains;

/// <summary>
/// The sidecar scopes in use (<see cref="IScopeDirectoryGrain"/>). The set is stored, so a
/// reactivated directory still hands change batches to every scope; a scope that stops renewing
/// (its grain went with a silo without ending its registration) is dropped after
/// <see cref="Lifetime"/>.
/// </summary>
public sealed class ScopeDirectoryGrain(
    [PersistentState("scopes", GrainStorage.Mesh)] IPersistentState<ScopeDirectoryState> state,
    TimeProvider time,
    ILogger<ScopeDirectoryGrain> logger) : Grain, IScopeDirectoryGrain
{
    private StateWriter<ScopeDirectoryState>? _writer;

    private StateWriter<ScopeDirectoryState> Writer => _writer ??= new StateWriter<ScopeDirectoryState>(state, logger, this.GetPrimaryKeyString);

    /// <summary>How long a registration lives without renewal (scopes renew every minute).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, (RegisteredScope Scope, DateTimeOffset Renewed)> _scopes = new(StringComparer.Ordinal);
    private IReadOnlyList<RegisteredScope> _list = [];

    /// <inheritdoc/>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // What was stored counts as renewed now: each scope has a lifetime to renew again.
        foreach (var scope in state.State.Scopes)
        {
            _scopes[scope.Scope] = (scope, time.GetUtcNow());
        }

        _list = Sorted();
        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await (_writer?.FlushAsync(cancellationToken) ?? Task.CompletedTask);
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task RegisterAsync(RegisteredScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentException.ThrowIfNullOrEmpty(scope.Scope);
        var changed = !_scopes.TryGetValue(scope.Scope, out var held) || !ReferenceEquals(held.Scope, scope) && !Same(held.Scope, scope);
        _scopes[scope.Scope] = (scope, time.GetUtcNow());
        if (changed)
        {
            await SaveAsync();
        }
    }

    /// <inheritdoc/>
    public async Task UnregisterAsync(string scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (_scopes.Remove(scope))
        {
            await SaveAsync();
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<RegisteredScope>> GetScopesAsync()
    {
        var now = time.GetUtcNow();
        var expired = _scopes.Where(r => now - r.Value.Renewed > Lifetime).Select(r => r.Key).ToList();
        if (expired.Count > 0)
        {
            expired.ForEach(s => _scopes.Remove(s));
            await SaveAsync();
        }

        return _list;
    }

    private static bool Same(RegisteredScope a, RegisteredScope b) =>
        a.Namespace == b.Namespace && Registry.InputHash.Of(a.Sidecar) == Registry.InputHash.Of(b.Sidecar);

    private async Task SaveAsync()
    {
        _list = Sorted();
        state.State.Scopes = _list.ToList();
        await Writer.WriteAsync();
    }

    private List<RegisteredScope> Sorted() => _scopes.Values.Select(s => s.Scope).OrderBy(s => s.Scope, StringComparer.Ordinal).ToList();
}

/// <summary>The stored state of <see cref="ScopeDirectoryGrain"/>: the registered scopes.</summary>
[GenerateSerializer]
public sealed class ScopeDirectoryState
{
    /// <summary>The registered scopes.</summary>
    [Id(0)]
    public List<RegisteredScope> Scopes { get; set; } = [];
}

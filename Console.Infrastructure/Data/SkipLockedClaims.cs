using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// Rows claimed by a work queue, locked until <see cref="CommitAsync"/> or disposal (which rolls back and lets another
/// worker take them). The claiming worker does its work and writes the outcome inside this same transaction.
/// </summary>
public sealed class Claim<T>(IDbContextTransaction transaction, IReadOnlyList<T> rows) : IAsyncDisposable
{
    public IReadOnlyList<T> Rows => rows;

    public Task CommitAsync(CancellationToken ct) => transaction.CommitAsync(ct);

    public Task RollbackAsync(CancellationToken ct) => transaction.RollbackAsync(ct);

    public ValueTask DisposeAsync() => transaction.DisposeAsync();
}

/// <summary>
/// The one way a high-rate queue (outbound sends, media, …) claims work across workers and nodes: open a transaction and
/// run the queue's own claim query, which ends in <c>FOR UPDATE SKIP LOCKED</c>, so concurrent workers skip each other's
/// rows instead of waiting on them. Each queue keeps its SQL (filters, order, limit) next to its rule, tuned for its plan;
/// this helper only owns the transaction around it.
/// </summary>
public static class SkipLockedClaims
{
    /// <param name="sessionSettings">SET LOCAL statements run in the transaction before the claim (planner or commit settings a queue was tuned with).</param>
    /// <param name="track">False when the rows are only read (or updated set-based): EF then skips copying and comparing them.</param>
    public static async Task<Claim<T>> ClaimAsync<T>(this AppDbContext db, FormattableString claimSql, CancellationToken ct,
        string? sessionSettings = null, bool track = true) where T : class
    {
        // A claim without SKIP LOCKED would silently serialize the workers (or hand one row to two of them).
        if (!claimSql.Format.Contains("FOR UPDATE SKIP LOCKED", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException("A work-queue claim must lock its rows with FOR UPDATE SKIP LOCKED.", nameof(claimSql));
        var transaction = await db.Database.BeginTransactionAsync(ct);
        try
        {
            if (sessionSettings is not null) await db.Database.ExecuteSqlRawAsync(sessionSettings, ct);
            var query = db.Set<T>().FromSql(claimSql);
            return new Claim<T>(transaction, await (track ? query : query.AsNoTracking()).ToListAsync(ct));
        }
        catch
        {
            await transaction.DisposeAsync();
            throw;
        }
    }
}

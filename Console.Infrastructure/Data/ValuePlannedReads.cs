using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;

namespace OperatorConsole.Infrastructure.Data;

/// <summary>
/// Screens whose filters decide the plan (a recent-activity date, a stage, a channel) read in one transaction that
/// plans every statement for its own values. Npgsql's automatic preparation (<see cref="DatabaseSetup.ForServing"/>)
/// otherwise lets PostgreSQL switch a statement run often to its generic plan, which cannot use the tenant's indexes
/// (the tenant filter is "platform or tenant = $2") and guesses every range at a third: the kanban's counts for
/// "active in the last 7 days" went from index reads to six whole-table scans (docs/benchmarks.md). The transaction
/// also keeps one connection for the screen's statements, so the tenant settings are sent once.
/// </summary>
public static class ValuePlannedReads
{
    public static async Task<IDbContextTransaction> BeginValuePlannedReadAsync(this DatabaseFacade database, CancellationToken ct)
    {
        var transaction = await database.BeginTransactionAsync(ct);
        // SET LOCAL: gone with the transaction, so the pooled connection's next user plans as usual.
        await database.ExecuteSqlRawAsync("SET LOCAL plan_cache_mode = force_custom_plan", ct);
        return transaction;
    }
}

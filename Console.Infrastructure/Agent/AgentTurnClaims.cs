using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The claim piece of a turn: leases the earliest due turn to this runner, and lets a turn go without answering it —
/// due again later, or finished. The SQL is <see cref="AgentTurnLease"/>, next to the rules it implements.
/// </summary>
public sealed class AgentTurnClaims(ContextScopes scopes, IOptionsMonitor<AgentOptions> options, TimeProvider clock)
{
    // Column names follow the snake_case convention EF applies to SqlQuery results too.
    private sealed record ClaimRow(Guid ConversationId, Guid TenantId, DateTimeOffset DueAt, int Attempts);

    public async Task<TurnClaim?> ClaimAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lease = Guid.NewGuid();
        var until = now.AddSeconds(options.CurrentValue.LeaseSeconds);
        await using var work = scopes.ForSystem("agent turn claim");
        var rows = await work.Db.Database.SqlQuery<ClaimRow>(AgentTurnLease.ClaimDueTurn(now, lease, until)).ToListAsync(ct);
        return rows.Count switch
        {
            0 => null,
            1 => new TurnClaim(rows[0].ConversationId, rows[0].TenantId, rows[0].DueAt, lease, rows[0].Attempts),
            _ => throw new InvalidOperationException($"An agent turn claim leased {rows.Count} conversations; it must lease one."),
        };
    }

    /// <summary>
    /// Lets go of the turn without answering; it is due again at <paramref name="dueAgainAt"/> unless something else
    /// (a newer message, a takeover) changed it meanwhile. A plain conditional UPDATE: the webhook processors write
    /// the same row all the time, and this must not lose a race with them.
    /// </summary>
    public Task ReleaseAsync(TurnClaim claim, DateTimeOffset? dueAgainAt, CancellationToken ct) =>
        EndAsync(claim, AgentTurnLease.Release(claim, dueAgainAt), AgentTurnOutcome.Released, ct);

    /// <summary>Lets go of a turn that waits (not failed): due again at <paramref name="dueAgainAt"/>, the claim not counted.</summary>
    public Task PostponeAsync(TurnClaim claim, DateTimeOffset dueAgainAt, CancellationToken ct) =>
        EndAsync(claim, AgentTurnLease.Postpone(claim, dueAgainAt), AgentTurnOutcome.Released, ct);

    /// <summary>Nothing to answer for this due time: clear it (a newer message keeps its own due time).</summary>
    public Task FinishAsync(TurnClaim claim, CancellationToken ct) =>
        EndAsync(claim, AgentTurnLease.Complete(claim), AgentTurnOutcome.Skipped, ct);

    private async Task EndAsync(TurnClaim claim, FormattableString sql, AgentTurnOutcome outcome, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(claim.TenantId);
        // The row changed: screens holding its version must reload before an operator acts on it.
        if (await work.Db.Database.ExecuteSqlAsync(sql, ct) > 0)
            work.Db.RaiseWritten(new AgentTurnEnded(claim.TenantId, claim.ConversationId, outcome));
    }
}

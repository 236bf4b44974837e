using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>
/// The agent-turn lease rules of <see cref="Conversation"/> (<see cref="Conversation.ClaimAgentTurn"/>,
/// <see cref="Conversation.ReleaseAgentTurn"/>, <see cref="Conversation.CompleteAgentTurn"/>) as set-based SQL, for the
/// runners' hot path: claims must skip rows another runner holds (SKIP LOCKED), and release/complete must not lose a race
/// with the webhook processors writing the same row, so they are single conditional UPDATEs instead of load-change-save.
/// </summary>
public static class AgentTurnLease
{
    // The due row is picked in a MATERIALIZED CTE: run once. As a subquery of the UPDATE, PostgreSQL may rescan it
    // once per joined row, and every rescan with SKIP LOCKED finds the next row — one claim then leased several
    // conversations, ran the first, and left the others waiting for their lease to run out (minutes).
    // {0} now, {1} lease id, {2} lease until.
    private const string ClaimDueTurnSql = $$"""
        WITH due AS MATERIALIZED (
            SELECT id FROM conversations
            WHERE agent_due_at <= {0} AND (agent_lease_until IS NULL OR agent_lease_until < {0})
              -- A delivery accepted before the turn fell due may hold more of the customer's burst: answer once it is read.
              AND agent_due_at < (SELECT coalesce(min(d.received_at), 'infinity') FROM webhook_deliveries d
                                  WHERE d.state = '{{nameof(DeliveryState.Pending)}}' AND d.attempts = 0)
            ORDER BY agent_due_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        UPDATE conversations c
        SET agent_lease_id = {1}, agent_lease_until = {2}, agent_turn_attempts = c.agent_turn_attempts + 1
        FROM due
        WHERE c.id = due.id
        RETURNING c.id AS conversation_id, c.tenant_id, c.agent_due_at AS due_at, c.agent_turn_attempts AS attempts
        """;

    /// <summary>Claims the earliest due turn no live lease holds (<see cref="Conversation.ClaimAgentTurn"/>), at most one.</summary>
    public static FormattableString ClaimDueTurn(DateTimeOffset now, Guid leaseId, DateTimeOffset leaseUntil) =>
        SqlText.With(ClaimDueTurnSql, now, leaseId, leaseUntil);

    /// <summary>
    /// <see cref="Conversation.ReleaseAgentTurn"/>: lets go of the lease; the turn is due again at
    /// <paramref name="dueAgainAt"/> unless a newer message moved its due time meanwhile.
    /// </summary>
    public static FormattableString Release(TurnClaim claim, DateTimeOffset? dueAgainAt) => $"""
        UPDATE conversations SET agent_lease_id = NULL, agent_lease_until = NULL,
            agent_due_at = CASE WHEN agent_due_at = {claim.DueAt} AND {dueAgainAt}::timestamptz IS NOT NULL THEN {dueAgainAt} ELSE agent_due_at END
        WHERE id = {claim.ConversationId} AND agent_lease_id = {claim.LeaseId}
        """;

    /// <summary>
    /// Like <see cref="Release"/>, for a turn that waits on something that is not a failure (a voice note still being
    /// transcribed): the claim is given back, so waiting never counts towards the attempts that hand a turn to a human.
    /// </summary>
    public static FormattableString Postpone(TurnClaim claim, DateTimeOffset dueAgainAt) => $"""
        UPDATE conversations SET agent_lease_id = NULL, agent_lease_until = NULL, agent_turn_attempts = greatest(agent_turn_attempts - 1, 0),
            agent_due_at = CASE WHEN agent_due_at = {claim.DueAt} THEN {dueAgainAt} ELSE agent_due_at END
        WHERE id = {claim.ConversationId} AND agent_lease_id = {claim.LeaseId}
        """;

    /// <summary><see cref="Conversation.CompleteAgentTurn"/>: nothing is due for the claimed time any more (a newer message keeps its own).</summary>
    public static FormattableString Complete(TurnClaim claim) => $"""
        UPDATE conversations SET agent_lease_id = NULL, agent_lease_until = NULL, agent_turn_attempts = 0,
            agent_due_at = CASE WHEN agent_due_at = {claim.DueAt} THEN NULL ELSE agent_due_at END
        WHERE id = {claim.ConversationId} AND agent_lease_id = {claim.LeaseId}
        """;
}

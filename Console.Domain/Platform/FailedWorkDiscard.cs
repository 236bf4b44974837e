namespace OperatorConsole.Domain.Platform;

/// <summary>
/// A super admin set a failed item aside (decided it is not worth retrying). The failed row itself is never changed or
/// deleted: it stays as evidence, and this marker only takes it off the failed-work list. A later retry of the same item
/// ends the marker (<see cref="RevivedAt"/>), so a new failure of it shows again.
/// </summary>
public sealed class FailedWorkDiscard
{
    private FailedWorkDiscard() { }

    public Guid Id { get; private set; }

    /// <summary>webhook, turn, send, outbound_webhook, job or import.</summary>
    public string Kind { get; private set; } = "";
    public Guid ItemId { get; private set; }
    public Guid? TenantId { get; private set; }
    public Guid? ActorUserId { get; private set; }
    public string Actor { get; private set; } = "";
    public DateTimeOffset DiscardedAt { get; private set; }
    public DateTimeOffset? RevivedAt { get; private set; }

    public static FailedWorkDiscard Create(string kind, Guid itemId, Guid? tenantId, Guid? actorUserId, string actor, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Kind = kind,
        ItemId = itemId,
        TenantId = tenantId,
        ActorUserId = actorUserId,
        Actor = actor,
        DiscardedAt = now,
    };

    public void Revive(DateTimeOffset now) => RevivedAt ??= now;
}

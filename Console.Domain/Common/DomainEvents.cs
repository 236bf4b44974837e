namespace OperatorConsole.Domain.Common;

/// <summary>
/// Something that happened to a tenant's data, named in the past tense (<c>ConversationTakenOver</c>,
/// <c>MessageReceived</c>). Aggregates record them as they change; set-based writes raise the same events in bulk. Nobody
/// announces a change by hand: after the write commits, one dispatcher hands the events to whoever listens (live
/// screens today; outbound webhooks and the command center feed later). A rolled-back write announces nothing.
/// </summary>
public interface IDomainEvent
{
    Guid TenantId { get; }
}

/// <summary>
/// An entity that records what happened to it. Events stay on the entity until the save that stores the change takes
/// them; plain fields (no property), so EF Core never maps them.
/// </summary>
public abstract class AggregateRoot
{
    private List<IDomainEvent>? _events;

    protected void Record(IDomainEvent happened) => (_events ??= []).Add(happened);

    /// <summary>The events recorded since the last call, in order; the save that stores this entity takes them.</summary>
    public IReadOnlyList<IDomainEvent> TakeEvents()
    {
        if (_events is not { Count: > 0 } events) return [];
        _events = null;
        return events;
    }
}

using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Common;

namespace OperatorConsole.Infrastructure.Events;

/// <summary>
/// Reacts to what happened, after it committed: live screens, waking the outbound senders (later: outbound webhooks,
/// the command center feed). Handlers run on the committing thread and must not block: hand slow work to a queue.
/// </summary>
public interface IDomainEventHandler
{
    void Handle(IReadOnlyList<IDomainEvent> events);
}

/// <summary>
/// The one place changes are announced. <see cref="DomainEventInterceptor"/> calls it with the events of each commit
/// (aggregates' and set-based writes' alike); every registered <see cref="IDomainEventHandler"/> gets them, in order.
/// A handler that fails is logged and does not keep the others from hearing.
/// </summary>
public sealed class DomainEventDispatcher(IEnumerable<IDomainEventHandler> handlers, ILogger<DomainEventDispatcher> log)
{
    private readonly IDomainEventHandler[] _handlers = handlers.ToArray();

    public void Dispatch(IReadOnlyList<IDomainEvent> events)
    {
        if (events.Count == 0) return;
        foreach (var handler in _handlers)
        {
            try
            {
                handler.Handle(events);
            }
            catch (Exception ex)
            {
                log.LogWarning(ex, "{Handler} failed on {Count} domain events", handler.GetType().Name, events.Count);
            }
        }
    }
}

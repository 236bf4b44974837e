using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Events;

namespace OperatorConsole.Infrastructure.Webhooks;

/// <summary>
/// Turns domain events into outbound webhook rows (the event's body + one pending delivery per subscription that wants
/// it) inside the save or transaction that made the change: a rolled-back change leaves no event, a committed one
/// always has its rows. Tenants without subscriptions cost one in-memory lookup.
/// </summary>
public sealed class OutboundWebhookRecorder(OutboundWebhookSubscriptions subscriptions, TimeProvider clock, IOptions<OutboundWebhookOptions> options)
    : IEventRecorder
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private TimeSpan RetryFor => TimeSpan.FromHours(options.Value.RetryForHours);

    /// <summary>The public type of an event, or null when receivers do not hear about it.</summary>
    public static string? TypeOf(IDomainEvent happened) => happened switch
    {
        LeadCreated => "lead.created",
        LeadStageChanged => "lead.stage_changed",
        ConversationHandedOff => "conversation.needs_human",
        ConversationResolved => "conversation.resolved",
        MessageReceived => "message.received",
        AppointmentBooked => "appointment.booked",
        AppointmentCancelled => "appointment.cancelled",
        PaymentCompleted => "payment.completed",
        _ => null,
    };

    public void Stage(AppDbContext db, IReadOnlyList<IDomainEvent> events)
    {
        if (!subscriptions.Any) return;
        Dictionary<Guid, Message>? messages = null;
        foreach (var (happened, type, targets) in Matching(events))
        {
            // A received message travels with its text: the Message is in this very save.
            if (happened is MessageReceived && messages is null)
                messages = db.ChangeTracker.Entries<Message>().Where(e => e.State == EntityState.Added).ToDictionary(e => e.Entity.Id, e => e.Entity);
            var evt = CreateEvent(happened, type, messages);
            db.OutboundWebhookEvents.Add(evt);
            foreach (var target in targets) db.OutboundWebhookDeliveries.Add(OutboundWebhookDelivery.Create(evt.TenantId, target, evt, evt.CreatedAt, RetryFor));
        }
    }

    public void Unstage(AppDbContext db)
    {
        foreach (var entry in db.ChangeTracker.Entries().Where(e => e.State == EntityState.Added
                     && e.Entity is OutboundWebhookEvent or OutboundWebhookDelivery).ToList())
            entry.State = EntityState.Detached;
    }

    public void Write(AppDbContext db, IReadOnlyList<IDomainEvent> events)
    {
        if (Insert(events) is var (sql, parameters)) db.Database.ExecuteSqlRaw(sql, parameters);
    }

    public async Task WriteAsync(AppDbContext db, IReadOnlyList<IDomainEvent> events, CancellationToken ct)
    {
        if (Insert(events) is var (sql, parameters)) await db.Database.ExecuteSqlRawAsync(sql, parameters, ct);
    }

    /// <summary>One statement inserting the events and their deliveries (set-based writes have no change tracker to use).</summary>
    private (string Sql, object[] Parameters)? Insert(IReadOnlyList<IDomainEvent> events)
    {
        if (!subscriptions.Any) return null;
        var sql = new System.Text.StringBuilder();
        var parameters = new List<object>();
        string P(object value)
        {
            parameters.Add(new NpgsqlParameter($"p{parameters.Count}", value));
            return $"@p{parameters.Count - 1}";
        }
        foreach (var (happened, type, targets) in Matching(events))
        {
            var evt = CreateEvent(happened, type, null);
            sql.Append($"INSERT INTO outbound_webhook_events (id, tenant_id, type, body, created_at) VALUES ({P(evt.Id)}, {P(evt.TenantId)}, {P(evt.Type)}, {P(evt.Body)}, {P(evt.CreatedAt)});\n");
            foreach (var target in targets)
            {
                var d = OutboundWebhookDelivery.Create(evt.TenantId, target, evt, evt.CreatedAt, RetryFor);
                sql.Append("INSERT INTO outbound_webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, give_up_at, created_at) " +
                    $"VALUES ({P(d.Id)}, {P(d.TenantId)}, {P(d.WebhookId)}, {P(d.EventId)}, {P(d.EventType)}, {P(d.Status.ToString())}, 0, {P(d.NextAttemptAt)}, {P(d.GiveUpAt)}, {P(d.CreatedAt)});\n");
            }
        }
        return sql.Length == 0 ? null : (sql.ToString(), parameters.ToArray());
    }

    private IEnumerable<(IDomainEvent Happened, string Type, List<Guid> Targets)> Matching(IReadOnlyList<IDomainEvent> events)
    {
        foreach (var happened in events)
        {
            var active = subscriptions.For(happened.TenantId);
            if (active.Count == 0 || TypeOf(happened) is not { } type) continue;
            var targets = active.Where(s => s.Events.Contains(type)).Select(s => s.Id).ToList();
            if (targets.Count > 0) yield return (happened, type, targets);
        }
    }

    private OutboundWebhookEvent CreateEvent(IDomainEvent happened, string type, Dictionary<Guid, Message>? messages)
    {
        var now = clock.GetUtcNow();
        var id = Guid.CreateVersion7(now);
        var body = JsonSerializer.Serialize(new { id, type, createdAt = now, tenantId = happened.TenantId, data = DataOf(happened, messages) }, Json);
        return OutboundWebhookEvent.Create(id, happened.TenantId, type, body, now);
    }

    /// <summary>What a receiver gets in <c>data</c>: the event's own fields (ids travel with names), never the tenant's secrets.</summary>
    private static object DataOf(IDomainEvent happened, Dictionary<Guid, Message>? messages) => happened switch
    {
        MessageReceived m when messages is not null && messages.TryGetValue(m.MessageId, out var message) => new
        {
            conversationId = m.ConversationId, messageId = m.MessageId, channelId = message.ChannelId,
            messageType = message.Type, text = message.Body, sentAt = message.SentAt,
        },
        MessageReceived m => new { conversationId = m.ConversationId, messageId = m.MessageId },
        ConversationHandedOff h => new { conversationId = h.ConversationId, reason = h.Reason, priority = h.Priority },
        ConversationResolved r => new { conversationId = r.ConversationId },
        // The revenue records are already the public shape; the tenant id is on the envelope.
        LeadCreated l => new { contactId = l.ContactId, source = l.Source },
        LeadStageChanged s => new { s.ContactId, s.ConversationId, s.FromStageId, s.FromStage, s.ToStageId, s.ToStage, s.ToStageKind, s.ChangedBy, s.Reason },
        PaymentCompleted p => new { p.PaymentId, p.ContactId, p.ConversationId, p.ProductId, p.Amount, p.Currency, p.Provider },
        AppointmentBooked a => new { a.AppointmentId, a.ContactId, a.ConversationId, a.StartsAt, a.EndsAt },
        AppointmentCancelled a => new { a.AppointmentId, a.ContactId, a.ConversationId, a.StartsAt, a.CancelledBy },
        _ => new { },
    };
}

/// <summary>Wakes this node's outbound webhook workers when a commit wrote deliveries.</summary>
public sealed class OutboundWebhookSignal(OutboundWebhookSubscriptions subscriptions) : IDomainEventHandler
{
    private readonly SemaphoreSlim _signal = new(0, int.MaxValue);

    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        if (!subscriptions.Any) return;
        if (events.Any(e => OutboundWebhookRecorder.TypeOf(e) is not null && subscriptions.For(e.TenantId).Count > 0)) Notify();
    }

    public void Notify()
    {
        // One pending wake-up is enough: the worker claims everything due when it runs.
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _signal.WaitAsync(timeout, ct);
}

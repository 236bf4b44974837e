using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Events;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Infrastructure.Scheduling;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.FollowUps;

public sealed record FollowUpPolicyView(bool Enabled, IReadOnlyList<int> AfterMinutes, string? TemplateName, string? TemplateLanguage,
    IReadOnlyList<string> OptOutWords);

/// <summary>A follow-up item was staged in a save: its trigger is created once that save commits.</summary>
public sealed record FollowUpScheduled(Guid TenantId, Guid ConversationId, Guid ItemId, DateTimeOffset At) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The customer asked not to be written to; follow-ups and appointment reminders of the contact were cancelled.</summary>
public sealed record ContactOptedOut(Guid TenantId, Guid ConversationId, Guid ContactId) : ConversationDomainEvent(TenantId, ConversationId);

/// <summary>The workspace's follow-up policy (read and changed by owners) and the contact's opt-out flag.</summary>
public sealed class FollowUpSettings(ContextScopes scopes, TimeProvider clock)
{
    public async Task<FollowUpPolicyView> GetAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return View(await work.Db.FollowUpPolicies.AsNoTracking().SingleOrDefaultAsync(ct) ?? FollowUpPolicy.Default(tenantId));
    }

    public async Task<FollowUpPolicyView> UpdateAsync(Guid tenantId, FollowUpPolicyView wanted, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var policy = await work.Db.FollowUpPolicies.SingleOrDefaultAsync(ct);
        if (policy is null)
        {
            policy = FollowUpPolicy.Default(tenantId);
            work.Db.FollowUpPolicies.Add(policy);
        }
        policy.Update(wanted.Enabled, wanted.AfterMinutes, wanted.TemplateName, wanted.TemplateLanguage, wanted.OptOutWords, clock.GetUtcNow());
        await work.Db.SaveChangesAsync(ct);
        return View(policy);
    }

    /// <summary>An operator heard from the customer that they want messages again.</summary>
    public async Task<bool> ClearOptOutAsync(Guid tenantId, Guid contactId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        var contact = await work.Db.Contacts.SingleOrDefaultAsync(c => c.Id == contactId, ct);
        if (contact is null) return false;
        contact.ClearOptOut();
        var conversation = await work.Db.Conversations.Where(c => c.ContactId == contactId).OrderByDescending(c => c.LastMessageAt).Select(c => c.Id)
            .FirstOrDefaultAsync(ct);
        if (conversation != Guid.Empty) work.Db.Raise(new LeadChanged(tenantId, conversation, contactId));
        await work.Db.SaveChangesAsync(ct);
        return true;
    }

    public static FollowUpPolicyView View(FollowUpPolicy p) => new(p.Enabled, p.AfterMinutes, p.TemplateName, p.TemplateLanguage, p.OptOutWords);
}

/// <summary>
/// Stops follow-ups in the very save that makes them pointless: a customer message, a person taking the conversation,
/// the lead reaching a won or lost stage. A customer message that is an opt-out word also sets the contact's flag,
/// cancels their follow-ups and appointment reminders and is acknowledged once. Runs inside the save (see
/// <see cref="IEventRecorder"/>): nothing to do costs a type check per event.
/// </summary>
public sealed class FollowUpStopper(OutboundMessages outbound, TimeProvider clock, ILogger<FollowUpStopper> log) : IEventRecorder
{
    public void Stage(AppDbContext db, IReadOnlyList<IDomainEvent> events)
    {
        // A webhook batch saves a hundred customer messages at once: what they need is read once for all of them (one
        // query for their pending follow-ups, one look at the tracked messages, one for their tenants' opt-out words),
        // not once per message (that was a fifth of the app's CPU under load, docs/benchmarks.md).
        var received = events.OfType<MessageReceived>().ToList();
        List<IDomainEvent>? raised = null;
        if (received.Count > 0)
        {
            var tenants = received.Select(m => m.TenantId).Distinct().ToList();
            var conversations = received.Select(m => m.ConversationId).Distinct().ToList();
            CancelPending(db, db.ScheduledItems.Where(i => tenants.Contains(i.TenantId) && conversations.Contains(i.ConversationId) && i.Kind == ScheduledItemKind.FollowUp));
            var candidates = OptOutCandidates(db, received);
            if (candidates.Count > 0)
            {
                var candidateTenants = candidates.Select(c => c.Event.TenantId).Distinct().ToList();
                // The inbound save may be the system's, across tenants: the query names the tenants.
                var words = db.FollowUpPolicies.AsNoTracking().Where(p => candidateTenants.Contains(p.TenantId))
                    .Select(p => new { p.TenantId, p.OptOutWords }).ToList().ToDictionary(p => p.TenantId, p => p.OptOutWords);
                foreach (var (m, body) in candidates)
                    if (OptOutWordsMatcher.Matches(body, words.GetValueOrDefault(m.TenantId) ?? FollowUpPolicy.DefaultOptOutWords)
                        && OptOut(db, m, body) is { } optedOut)
                        (raised ??= []).Add(optedOut);
            }
        }
        foreach (var happened in events)
        {
            switch (happened)
            {
                case ConversationTakenOver t:
                    CancelPending(db, db.ScheduledItems.Where(i => i.TenantId == t.TenantId && i.ConversationId == t.ConversationId && i.Kind == ScheduledItemKind.FollowUp));
                    break;
                case LeadStageChanged s when s.ToStageKind is nameof(StageKind.Won) or nameof(StageKind.Lost)
                                              || string.Equals(s.ToStageKind, "won", StringComparison.OrdinalIgnoreCase)
                                              || string.Equals(s.ToStageKind, "lost", StringComparison.OrdinalIgnoreCase):
                    CancelPending(db, db.ScheduledItems.Where(i => i.TenantId == s.TenantId && i.Kind == ScheduledItemKind.FollowUp
                        && db.Conversations.Any(c => c.Id == i.ConversationId && c.ContactId == s.ContactId)));
                    break;
            }
        }
        if (raised is not null) foreach (var e in raised) db.Raise(e);
    }

    /// <summary>
    /// The received messages short enough to be an opt-out word (a long message is never one, and costs no query). The
    /// tracked messages are read once: each look at the change tracker scans everything the save tracks.
    /// </summary>
    private static List<(MessageReceived Event, string Body)> OptOutCandidates(AppDbContext db, List<MessageReceived> received)
    {
        var ids = received.Select(m => m.MessageId).ToHashSet();
        var bodies = db.ChangeTracker.Entries<Message>().Where(e => ids.Contains(e.Entity.Id)).ToDictionary(e => e.Entity.Id, e => e.Entity.Body);
        return received.Select(m => (Event: m, Body: bodies.GetValueOrDefault(m.MessageId)))
            .Where(c => c.Body is { Length: > 0 and <= 300 } body && body.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 15)
            .Select(c => (c.Event, c.Body!)).ToList();
    }

    public void Unstage(AppDbContext db)
    {
    }

    // Every event this stopper reacts to is raised by a tracked aggregate: set-based writes never carry one.
    public void Write(AppDbContext db, IReadOnlyList<IDomainEvent> events)
    {
    }

    public Task WriteAsync(AppDbContext db, IReadOnlyList<IDomainEvent> events, CancellationToken ct) => Task.CompletedTask;

    private void CancelPending(AppDbContext db, IQueryable<ScheduledItem> items)
    {
        // Synchronous on purpose: this runs inside SaveChanges, before it writes, so the cancellation commits with the change.
        var pending = items.Where(i => i.Status == ScheduledItemStatus.Pending).ToList();
        var now = clock.GetUtcNow();
        foreach (var item in pending.Where(i => i.Status == ScheduledItemStatus.Pending))
        {
            item.Cancel(null, now);
            db.Raise(new ScheduledItemsChanged(item.TenantId, item.ConversationId));
        }
    }

    /// <summary>The customer's message <paramref name="body"/> is an opt-out word: the flag, the cancellations, the acknowledgement.</summary>
    private ContactOptedOut? OptOut(AppDbContext db, MessageReceived m, string body)
    {
        var conversation = db.Conversations.Find(m.ConversationId);
        if (conversation is null) return null;
        // The acknowledgement (or, the second time, silence) is the answer: the bot does not also reply "how can I help?".
        conversation.ClearAgentTurn();
        var contact = db.Contacts.Find(conversation.ContactId);
        var now = clock.GetUtcNow();
        if (contact is null || !contact.OptOut(now)) return null;

        CancelPending(db, db.ScheduledItems.Where(i => i.TenantId == contact.TenantId && (i.Kind == ScheduledItemKind.FollowUp || i.Kind == ScheduledItemKind.AppointmentReminder)
            && db.Conversations.Any(c => c.Id == i.ConversationId && c.ContactId == contact.Id)));
        var text = new TextRef("Event.OptedOut", $"The customer asked not to receive messages (\"{body}\"): follow-ups and reminders stopped", body);
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.OptedOut, null, text.English, TextRefs.Serialize(text), now));
        var channel = db.Channels.Find(conversation.ChannelId);
        if (channel is not null)
        {
            // "Stop" alone says little about the language: the customer's earlier messages do.
            var earlier = db.Messages.AsNoTracking().Where(x => x.TenantId == conversation.TenantId && x.ConversationId == conversation.Id && x.Direction == MessageDirection.Inbound && x.Body != null)
                .OrderByDescending(x => x.SentAt).Take(5).Select(x => x.Body!).ToList();
            var language = CustomerLanguage.Detect(earlier.Append(body), "es");
            try
            {
                // Said once, when the flag is set: the customer knows the message landed.
                var ack = outbound.Stage(db, conversation, channel, MessageSender.Bot, null, new OutboundContent { Text = FollowUpTexts.OptOutAcknowledgement(language) });
                // Staged after this save collected its events: hand the sender's wake-up over by hand.
                foreach (var e in ack.TakeEvents()) db.Raise(e);
            }
            catch (Exception ex) when (ex is WindowClosedException or DomainException)
            {
                log.LogInformation("Opt-out of contact {ContactId} not acknowledged: {Reason}", contact.Id, ex.Message);
            }
        }
        return new ContactOptedOut(conversation.TenantId, conversation.Id, contact.Id);
    }
}

/// <summary>The few sentences follow-ups write without a model, in the customer's language.</summary>
public static class FollowUpTexts
{
    public static string OptOutAcknowledgement(string language) => language == "en"
        ? "Done: we won't send you any more automatic messages. Write to us whenever you like."
        : "Listo: no te enviaremos más mensajes automáticos. Escríbenos cuando quieras.";

    public static string Nudge(string language, string? name, int attempt)
    {
        var first = string.IsNullOrWhiteSpace(name) ? "" : " " + name.Trim().Split(' ')[0];
        return (language, attempt) switch
        {
            ("en", 0) => $"Hi{first}! Did you get a chance to look at what I sent you? Any questions, I'm here to help.",
            ("en", _) => $"Hi{first}, just checking in: would you like to continue where we left off?",
            (_, 0) => $"¡Hola{first}! ¿Pudiste ver lo que te comenté? Si tienes alguna duda, aquí estoy para ayudarte.",
            _ => $"Hola{first}, te escribo para saber si quieres que sigamos donde lo dejamos.",
        };
    }

    /// <summary>Added to the agent's prompt for a follow-up turn.</summary>
    public const string Instruction =
        "The customer has not answered for a while. Write one short, friendly follow-up message in the customer's language " +
        "that picks up where the conversation left off. Do not repeat earlier messages, do not pressure, no more than two sentences.";
}

/// <summary>
/// When follow-ups are due: the first after the bot answers (a post-commit handler of the turn), the next after each
/// attempt (staged by the runner). Also creates the Quartz trigger of a follow-up staged in another save.
/// </summary>
public sealed class FollowUpPlanner(ContextScopes scopes, ScheduledItems items, TimeProvider clock, ILogger<FollowUpPlanner> log) : IDomainEventHandler
{
    public void Handle(IReadOnlyList<IDomainEvent> events)
    {
        foreach (var e in events)
        {
            switch (e)
            {
                case FollowUpScheduled s:
                    _ = items.TriggerAsync(s.TenantId, s.ItemId, s.At, CancellationToken.None);
                    break;
                case AgentTurnEnded { Outcome: AgentTurnOutcome.Answered } t:
                    _ = Task.Run(async () =>
                    {
                        try
                        {
                            await StartAsync(t.TenantId, t.ConversationId, CancellationToken.None);
                        }
                        catch (Exception ex)
                        {
                            // No follow-up for this silence; the next answer starts one again.
                            log.LogError(ex, "Could not plan the follow-up of conversation {ConversationId}", t.ConversationId);
                        }
                    });
                    break;
            }
        }
    }

    /// <summary>The bot just answered: the customer's silence starts now, so the first follow-up is one gap away.</summary>
    public async Task<ScheduledItem?> StartAsync(Guid tenantId, Guid conversationId, CancellationToken ct)
    {
        ScheduledItem? item;
        await using (var work = scopes.ForTenant(tenantId))
        {
            var db = work.Db;
            var policy = await db.FollowUpPolicies.AsNoTracking().SingleOrDefaultAsync(ct);
            if (policy is not { Enabled: true }) return null;
            var conversation = await db.Conversations.SingleOrDefaultAsync(c => c.Id == conversationId, ct);
            if (conversation is null || !await FollowUpRunner.StillWantedAsync(db, conversation, ct)) return null;
            if (await db.ScheduledItems.AnyAsync(i => i.ConversationId == conversationId && i.Kind == ScheduledItemKind.FollowUp
                                                      && i.Status == ScheduledItemStatus.Pending, ct)) return null;
            var now = clock.GetUtcNow();
            item = await FollowUpRunner.PlanAsync(db, policy, conversation, 0, now, ct);
            if (item is null) return null;
            await db.SaveChangesAsync(ct);
        }
        await items.TriggerAsync(item.TenantId, item.Id, item.At, ct);
        return item;
    }
}

/// <summary>
/// Sends a due follow-up: inside the customer window a short message in the customer's language, outside it the
/// workspace's approved template (none set: the item fails and the timeline says so); then plans the next attempt.
/// </summary>
public sealed class FollowUpRunner(OutboundMessages outbound, LlmGateway llm, ILogger<FollowUpRunner> log) : IScheduledItemRunner
{
    /// <summary>Found this late (every node was down), a follow-up would land out of context: dropped.</summary>
    public static readonly TimeSpan MaxLate = TimeSpan.FromHours(6);

    public ScheduledItemKind Kind => ScheduledItemKind.FollowUp;

    public async Task<TextRef?> RunAsync(AppDbContext db, ScheduledItem item, Conversation conversation, DateTimeOffset now, CancellationToken ct)
    {
        var policy = await db.FollowUpPolicies.AsNoTracking().SingleOrDefaultAsync(ct);
        if (policy is not { Enabled: true } || !await StillWantedAsync(db, conversation, ct))
        {
            item.Skip("not_wanted", now);
            return null;
        }
        if (now - item.At > MaxLate)
        {
            item.Skip("too_late", now);
            return new TextRef("SystemEvent.ScheduledTooLate", $"A follow-up for {item.At:u} was dropped: found {(now - item.At).TotalMinutes:0} minutes late",
                item.At.ToString("O"), ((int)(now - item.At).TotalMinutes).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var attempt = await AttemptsSoFarAsync(db, conversation.Id, ct);
        var channel = await db.Channels.SingleAsync(c => c.Id == conversation.ChannelId, ct);
        OutboundContent content;
        if (conversation.IsCustomerWindowOpen(now))
        {
            var said = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Inbound && m.Body != null)
                .OrderByDescending(m => m.SentAt).Take(5).Select(m => m.Body!).ToListAsync(ct);
            var name = await db.Contacts.Where(c => c.Id == conversation.ContactId).Select(c => c.Name).SingleOrDefaultAsync(ct);
            var text = await WrittenByTheAgentAsync(db, conversation, ct)
                       ?? FollowUpTexts.Nudge(CustomerLanguage.Detect(said, "es"), name, attempt);
            content = new OutboundContent { Text = text };
        }
        else if (policy.TemplateName is { } template)
        {
            content = new OutboundContent { Template = new TemplateContent(template, policy.TemplateLanguage ?? "es", []) };
        }
        else
        {
            return Fail(db, item, conversation, "no_template", new TextRef("FollowUp.NoTemplate",
                "Follow-up not sent: the customer window is closed and no approved template is set for follow-ups"), now);
        }
        try
        {
            var message = outbound.Stage(db, conversation, channel, MessageSender.Bot, null, content);
            item.Done(message.Id, now);
        }
        catch (Exception ex) when (ex is WindowClosedException or DomainException)
        {
            return Fail(db, item, conversation, ex is WindowClosedException ? "window_closed" : ((DomainException)ex).Code,
                new TextRef("FollowUp.NotSent", $"Follow-up not sent: {ex.Message}", TextRefs.Word(ex) ?? ex.Message), now);
        }
        // Each gap counts from the previous attempt; past the last one the conversation waits for the customer.
        if (await PlanAsync(db, policy, conversation, attempt + 1, now, ct) is { } next)
            db.Raise(new FollowUpScheduled(next.TenantId, next.ConversationId, next.Id, next.At));
        return null;
    }

    /// <summary>
    /// With a model: the tenant's own prompt plus the follow-up instruction, over the recent conversation; null without a
    /// model or when the call fails (the short text in the customer's language goes instead).
    /// </summary>
    private async Task<string?> WrittenByTheAgentAsync(AppDbContext db, Conversation conversation, CancellationToken ct)
    {
        if (!llm.IsConfigured) return null;
        try
        {
            var profile = await db.AgentProfiles.AsNoTracking().Where(p => p.State == AgentProfileState.Live).FirstOrDefaultAsync(ct);
            var recent = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversation.Id && m.Body != null)
                .OrderByDescending(m => m.SentAt).Take(12).Select(m => new { m.Direction, m.Body }).ToListAsync(ct);
            List<Microsoft.Extensions.AI.ChatMessage> messages =
            [
                new(Microsoft.Extensions.AI.ChatRole.System, $"{profile?.SystemPrompt}\n\n{FollowUpTexts.Instruction}".Trim()),
                .. recent.AsEnumerable().Reverse().Select(m => new Microsoft.Extensions.AI.ChatMessage(
                    m.Direction == MessageDirection.Inbound ? Microsoft.Extensions.AI.ChatRole.User : Microsoft.Extensions.AI.ChatRole.Assistant, m.Body)),
            ];
            var model = profile?.Model ?? llm.DefaultModel;
            var response = await llm.For(model).GetResponseAsync(messages,
                new Microsoft.Extensions.AI.ChatOptions { Temperature = (float)(profile?.Temperature ?? 0.5), MaxOutputTokens = 200 }, ct);
            await llm.RecordUsageAsync(conversation.TenantId, conversation.Id, model, LlmFeature.Reply, response.Usage, ct);
            var text = response.Text?.Trim();
            return string.IsNullOrEmpty(text) ? null : text.Length > 1000 ? text[..1000] : text;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.LogWarning(ex, "The agent could not write the follow-up of conversation {ConversationId}; the short text goes instead", conversation.Id);
            return null;
        }
    }

    private static TextRef Fail(AppDbContext db, ScheduledItem item, Conversation conversation, string outcome, TextRef why, DateTimeOffset now)
    {
        item.Fail(outcome, now);
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.ScheduledFailed, null, why.English, TextRefs.Serialize(why), now));
        return why;
    }

    /// <summary>Open, the bot's, the customer has not opted out and the lead is neither won nor lost.</summary>
    public static async Task<bool> StillWantedAsync(AppDbContext db, Conversation conversation, CancellationToken ct)
    {
        if (conversation.Status != ConversationStatus.Open || !conversation.IsBotOwned) return false;
        var contact = await db.Contacts.AsNoTracking().Where(c => c.Id == conversation.ContactId)
            .Select(c => new { c.OptedOutAt, Kind = db.PipelineStages.Where(s => s.Id == c.StageId).Select(s => (StageKind?)s.Kind).FirstOrDefault() })
            .SingleOrDefaultAsync(ct);
        if (contact is null || contact.OptedOutAt is not null || contact.Kind is StageKind.Won or StageKind.Lost) return false;
        // The customer wrote last and the bot has not answered yet: they are not the silent one.
        var last = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversation.Id).OrderByDescending(m => m.SentAt)
            .Select(m => (MessageDirection?)m.Direction).FirstOrDefaultAsync(ct);
        return last is MessageDirection.Outbound;
    }

    /// <summary>Follow-ups sent since the customer last wrote.</summary>
    private static async Task<int> AttemptsSoFarAsync(AppDbContext db, Guid conversationId, CancellationToken ct)
    {
        var lastInbound = await db.Messages.AsNoTracking().Where(m => m.ConversationId == conversationId && m.Direction == MessageDirection.Inbound)
            .MaxAsync(m => (DateTimeOffset?)m.SentAt, ct) ?? DateTimeOffset.MinValue;
        return await db.ScheduledItems.CountAsync(i => i.ConversationId == conversationId && i.Kind == ScheduledItemKind.FollowUp
                                                       && i.Status == ScheduledItemStatus.Done && i.CreatedAt > lastInbound, ct);
    }

    /// <summary>Stages attempt number <paramref name="attempt"/> (0-based) inside the business's hours; null past the last.</summary>
    public static async Task<ScheduledItem?> PlanAsync(AppDbContext db, FollowUpPolicy policy, Conversation conversation, int attempt, DateTimeOffset now,
        CancellationToken ct)
    {
        var profile = await db.AgentProfiles.AsNoTracking().Where(p => p.State == AgentProfileState.Live).FirstOrDefaultAsync(ct);
        var hours = profile?.BusinessHours ?? BusinessHours.Always;
        var zone = profile?.Zone ?? TimeZoneInfo.Utc;
        if (policy.NextAttemptAt(attempt, now, hours, zone) is not { } at) return null;
        var item = ScheduledItem.Schedule(conversation, ScheduledItemKind.FollowUp, at, null, null, now);
        db.ScheduledItems.Add(item);
        db.Raise(new ScheduledItemsChanged(item.TenantId, item.ConversationId));
        return item;
    }
}

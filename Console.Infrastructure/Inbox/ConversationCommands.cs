using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Inbox;

/// <summary>A workspace-wide switch was refused: only owners and admins may turn the bot off for a channel or the tenant.</summary>
public sealed class InboxForbiddenException(string message) : Exception(message);

/// <summary>PATCH contacts/{id}: only the members given change; a field set to null is removed.</summary>
/// <param name="Stage">A pipeline stage's id or name (case and accents ignored).</param>
public sealed record ContactPatch(string? Name = null, string? Email = null, string? Stage = null, bool? BotEnabled = null,
    IReadOnlyDictionary<string, string?>? Fields = null);

/// <summary>
/// Every operator action on a conversation, for the inbox and the REST API alike. Each one runs in the actor's
/// tenant scope, writes a <see cref="ConversationEvent"/> the chat panel shows inline, and publishes a
/// <see cref="ConversationChanged"/> so every open screen updates.
/// <para>
/// Concurrency: conversations carry PostgreSQL's xmin as a row version. A caller that passes the version it showed
/// the operator gets a <see cref="ConflictException"/> when someone else changed the conversation since (two agents
/// taking the same conversation: the second one is told, not silently overwriting the first); without a version the
/// save is still checked against the row as it was loaded.
/// </para>
/// </summary>
public sealed class ConversationCommands(ContextScopes scopes, OutboundMessages outbound, TimeProvider clock,
    Media.IMediaStore media, OutboundMediaLinks mediaLinks, Microsoft.Extensions.Options.IOptionsMonitor<Media.MediaOptions> mediaOptions)
{
    public const string ConflictCode = "conversation.changed";

    public Task TakeOverAsync(InboxActor actor, Guid conversationId, uint? version = null, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, version, (c, _) =>
        {
            var pending = c.AgentDueAt is not null;
            c.TakeOver(actor.MemberId);
            return Event(c, ConversationEventType.TakenOver, actor, $"Taken over by {actor.Name}", new { actor = actor.Name, cancelledTurn = pending });
        }, ct);

    public Task HandBackAsync(InboxActor actor, Guid conversationId, uint? version = null, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, version, (c, _) =>
        {
            c.HandBackToBot();
            return Event(c, ConversationEventType.HandedBack, actor, $"Handed back to the bot by {actor.Name}", new { actor = actor.Name });
        }, ct);

    public Task AssignAsync(InboxActor actor, Guid conversationId, Guid memberId, uint? version = null, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, version, async (c, db) =>
        {
            // The tenant scope's filter and RLS make another tenant's member id simply not found.
            var target = await (from m in db.TenantMembers
                                join u in db.Users on m.UserId equals u.Id
                                where m.Id == memberId && m.TenantId == actor.TenantId
                                select new { m.Id, Name = u.DisplayName == "" ? u.Email : u.DisplayName })
                .SingleOrDefaultAsync(ct)
                ?? throw new DomainException("member.not_found", "That person is not a member of this workspace.");
            c.AssignTo(target.Id);
            return Event(c, ConversationEventType.Assigned, actor, $"Assigned to {target.Name} by {actor.Name}",
                new { actor = actor.Name, target = target.Name, targetMemberId = target.Id });
        }, ct);

    public Task ResolveAsync(InboxActor actor, Guid conversationId, uint? version = null, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, version, (c, _) =>
            // Resolving twice changes nothing, so it leaves no second event either.
            c.Resolve(clock.GetUtcNow())
                ? Event(c, ConversationEventType.Resolved, actor, $"Resolved by {actor.Name}", new { actor = actor.Name })
                : null, ct);

    public Task SnoozeAsync(InboxActor actor, Guid conversationId, DateTimeOffset until, uint? version = null, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, version, (c, _) =>
        {
            c.Snooze(until, clock.GetUtcNow());
            return Event(c, ConversationEventType.Snoozed, actor, $"Snoozed until {until:u} by {actor.Name}", new { actor = actor.Name, until });
        }, ct);

    public Task ReopenAsync(InboxActor actor, Guid conversationId, uint? version = null, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, version, (c, _) =>
        {
            c.Reopen();
            return Event(c, ConversationEventType.Reopened, actor, $"Reopened by {actor.Name}", new { actor = actor.Name });
        }, ct);

    /// <summary>The contact's own bot switch: kept on the contact, so it holds in every conversation with them.</summary>
    public Task SetContactBotAsync(InboxActor actor, Guid conversationId, bool enabled, CancellationToken ct = default) =>
        ChangeAsync(actor, conversationId, null, async (c, db) =>
        {
            var contact = await db.Contacts.SingleAsync(k => k.Id == c.ContactId, ct);
            contact.SetBotEnabled(enabled);
            if (!enabled) c.ClearAgentTurn();
            return Event(c, enabled ? ConversationEventType.BotResumed : ConversationEventType.BotPaused, actor,
                $"Bot {(enabled ? "resumed" : "paused")} for this contact by {actor.Name}", new { actor = actor.Name, scope = "contact" });
        }, ct);

    public async Task SetChannelBotAsync(InboxActor actor, Guid channelId, bool enabled, CancellationToken ct = default)
    {
        RequireManager(actor);
        await using var work = scopes.ForTenant(actor.TenantId);
        var channel = await work.Db.Channels.SingleOrDefaultAsync(c => c.Id == channelId, ct)
            ?? throw new DomainException("channel.not_found", "No such channel in this workspace.");
        channel.SetBotEnabled(enabled);
        work.Db.Raise(new BotSwitched(actor.TenantId, channelId, enabled));
        await work.Db.SaveChangesAsync(ct);
    }

    public async Task SetTenantBotAsync(InboxActor actor, bool enabled, CancellationToken ct = default)
    {
        RequireManager(actor);
        await using var work = scopes.ForTenant(actor.TenantId);
        var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == actor.TenantId, ct);
        tenant.SetBotEnabled(enabled);
        work.Db.Raise(new BotSwitched(actor.TenantId, null, enabled));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>The agent opened the conversation: the unread badge goes. No event (it would drown the timeline).</summary>
    public async Task MarkReadAsync(InboxActor actor, Guid conversationId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        // One statement, no version check: marking read never conflicts with anything worth telling the agent about.
        var changed = await work.Db.Conversations.VisibleTo(work.Db, actor.MemberId).Where(c => c.Id == conversationId && c.UnreadCount > 0)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UnreadCount, 0), ct);
        if (changed > 0) work.Db.RaiseWritten(new ConversationRead(actor.TenantId, conversationId));
    }

    /// <summary>
    /// An agent's reply, through the outbound queue (window rules, limits, retries). Replying to a conversation the bot
    /// or nobody owns takes it over first, so the bot never talks over the agent.
    /// </summary>
    public async Task<Message> SendTextAsync(InboxActor actor, Guid conversationId, string text, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new DomainException("message.empty", "Write a message first.");
        return await SendAsync(actor, conversationId, new OutboundContent { Text = text.Trim() }, ct);
    }

    public Task<Message> SendTemplateAsync(InboxActor actor, Guid conversationId, string name, string language,
        IReadOnlyList<string> parameters, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(name) || string.IsNullOrWhiteSpace(language))
            throw new DomainException("template.invalid", "A template needs a name and a language.");
        return SendAsync(actor, conversationId,
            new OutboundContent { Template = new TemplateContent(name.Trim(), language.Trim(), parameters.Select(p => p.Trim()).ToList()) }, ct);
    }

    public async Task<Message> SendAsync(InboxActor actor, Guid conversationId, OutboundContent content, CancellationToken ct = default)
    {
        if (actor.MemberId is not null) await TakeOverIfUnownedAsync(actor, conversationId, ct);
        return await outbound.QueueAsync(actor.TenantId, conversationId, MessageSender.Agent, actor.MemberId, content, ct);
    }

    /// <summary>
    /// An attachment: stored in the media store, then sent as media whose link the channel fetches from
    /// <paramref name="publicBase"/> (this app's public address) through a signed, time-limited URL.
    /// </summary>
    public async Task<Message> SendMediaAsync(InboxActor actor, Guid conversationId, Stream content, string fileName, string contentType,
        string? caption, Uri publicBase, CancellationToken ct = default)
    {
        // Checked before the file is stored: a member cannot park files on a conversation they may not work.
        await RequireVisibleAsync(actor, conversationId, ct);
        // The browser's word for the type is only a hint: the bytes decide, and markup (svg, html) is never accepted,
        // because the link is served from this app's origin.
        var maxBytes = mediaOptions.CurrentValue.MaxUploadBytes;
        var head = await Media.CappedStream.ReadHeadAsync(content, Media.MediaTypes.SampleSize, ct);
        contentType = Media.MediaTypes.Detect(head, contentType) is { } sniffed && sniffed != "application/vnd.ms-office" && sniffed != "application/zip"
            ? sniffed
            : throw new DomainException("media.type", "This kind of file cannot be sent: use an image (JPEG, PNG, WebP), audio, video (MP4), PDF, an Office document or plain text.");
        var key = Guid.CreateVersion7(clock.GetUtcNow());
        try
        {
            await media.SaveAsync(actor.TenantId, key, new Media.CappedStream(head, content, maxBytes), ct);
        }
        catch (Media.MediaRefusedException)
        {
            throw new DomainException("media.size", $"The file is larger than {maxBytes / (1024 * 1024)} MB.", maxBytes / (1024 * 1024));
        }
        var link = new Uri(publicBase, $"media/out/{mediaLinks.Token(actor.TenantId, key, contentType)}").AbsoluteUri;
        var kind = contentType.Split('/')[0] switch
        {
            "image" => "image",
            "audio" => "audio",
            "video" => "video",
            _ => "document",
        };
        return await SendAsync(actor, conversationId, new OutboundContent
        {
            Media = new MediaContent(kind, link, null, string.IsNullOrWhiteSpace(caption) ? null : caption.Trim(), kind == "document" ? fileName : null),
        }, ct);
    }

    /// <summary>An internal note (never sent to the customer). Members named as <c>@Name</c> are notified.</summary>
    public async Task<IReadOnlyList<Guid>> AddNoteAsync(InboxActor actor, Guid conversationId, string text, CancellationToken ct = default)
    {
        text = text?.Trim() ?? "";
        if (text.Length is 0 or > 4096) throw new DomainException("note.invalid", "A note is 1 to 4096 characters.");
        IReadOnlyList<Guid> mentioned = [];
        await ChangeAsync(actor, conversationId, null, async (c, db) =>
        {
            var members = await (from m in db.TenantMembers
                                 join u in db.Users on m.UserId equals u.Id
                                 where m.TenantId == actor.TenantId
                                 select new { m.Id, u.DisplayName, u.Email }).ToListAsync(ct);
            mentioned = members.Where(m => Mentions(text, m.DisplayName) || Mentions(text, m.Email?.Split('@')[0])).Select(m => m.Id).ToList();
            return Event(c, ConversationEventType.Note, actor, text, new { actor = actor.Name, mentions = mentioned });
        }, ct);
        return mentioned;
    }

    /// <summary>"@Andrés Agente" or "@andrés" (first name) mentions Andrés Agente; case and accents as typed.</summary>
    public static bool Mentions(string text, string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return false;
        foreach (var candidate in new[] { name.Trim(), name.Trim().Split(' ')[0] })
        {
            var at = text.IndexOf("@" + candidate, StringComparison.OrdinalIgnoreCase);
            if (at < 0) continue;
            var end = at + 1 + candidate.Length;
            if (end == text.Length || !char.IsLetterOrDigit(text[end])) return true;
        }
        return false;
    }

    public async Task<ContactRow> UpdateContactAsync(InboxActor actor, Guid contactId, ContactPatch patch, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        var contact = await work.Db.Contacts.SingleOrDefaultAsync(c => c.Id == contactId, ct)
            ?? throw new DomainException("contact.not_found", "No such contact in this workspace.");
        if (patch.Email is { } email && (email.Length > 254 || !email.Contains('@')))
            throw new DomainException("contact.email", "That e-mail address is not valid.");
        contact.UpdateProfile(patch.Name, patch.Email, null);
        var stages = await LeadPipeline.StagesAsync(work.Db, ct);
        if (patch.Stage is { Length: > 0 } wanted)
        {
            var stage = (Guid.TryParse(wanted, out var id) ? stages.FirstOrDefault(s => s.Id == id) : LeadPipeline.Match(stages, wanted))
                ?? throw new DomainException("lead.stage", $"Unknown stage '{wanted}'. Use one of: {string.Join(", ", stages.Select(s => s.Name))}.",
                    wanted, string.Join(", ", stages.Select(s => s.Name)));
            await LeadPipeline.StageMoveAsync(work.Db, contact, stage, new StageMover(actor.Name, actor.MemberId), null, clock.GetUtcNow(), ct);
        }
        if (patch.BotEnabled is { } bot) contact.SetBotEnabled(bot);
        foreach (var (key, value) in patch.Fields ?? new Dictionary<string, string?>())
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > 64) throw new DomainException("contact.field", "Field names are 1 to 64 characters.");
            contact.SetField(key.Trim(), value);
        }
        // The lead shows beside each of its open conversations.
        var conversations = await work.Db.Conversations.Where(c => c.ContactId == contactId && c.Status != ConversationStatus.Resolved)
            .Select(c => c.Id).ToListAsync(ct);
        foreach (var id in conversations) work.Db.Raise(new LeadChanged(actor.TenantId, id, contactId));
        await work.Db.SaveChangesAsync(ct);
        return InboxQueries.ToRow(contact, stages.FirstOrDefault(s => s.Id == contact.StageId)?.Name ?? "");
    }

    public async Task<IReadOnlyList<CannedReply>> CannedRepliesAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.CannedReplies.AsNoTracking().OrderBy(r => r.Shortcut).ToListAsync(ct);
    }

    /// <summary>Creates (no id) or changes a canned reply. A shortcut already in use is a conflict, decided by the unique index.</summary>
    public async Task<CannedReply> SaveCannedReplyAsync(InboxActor actor, Guid? id, string shortcut, string text, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        CannedReply reply;
        string? before = null;
        if (id is { } existing)
        {
            reply = await work.Db.CannedReplies.SingleOrDefaultAsync(r => r.Id == existing, ct)
                ?? throw new DomainException("canned.not_found", "That canned reply no longer exists.");
            before = CannedSnapshot(reply);
            reply.Change(shortcut, text);
        }
        else
        {
            reply = CannedReply.Create(actor.TenantId, shortcut, text, clock.GetUtcNow());
            work.Db.CannedReplies.Add(reply);
        }
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, await ActorUserIdAsync(work.Db, actor, ct), actor.Name,
            id is null ? "canned_reply.created" : "canned_reply.updated", nameof(CannedReply), reply.Id.ToString(), before, CannedSnapshot(reply),
            clock.GetUtcNow(), "/" + reply.Shortcut));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("canned.duplicate", $"The shortcut /{reply.Shortcut} is already used.", reply.Shortcut);
        }
        return reply;
    }

    public async Task DeleteCannedReplyAsync(InboxActor actor, Guid id, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        var reply = await work.Db.CannedReplies.SingleOrDefaultAsync(r => r.Id == id, ct);
        if (reply is null) return;
        work.Db.CannedReplies.Remove(reply);
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, await ActorUserIdAsync(work.Db, actor, ct), actor.Name, "canned_reply.deleted",
            nameof(CannedReply), reply.Id.ToString(), CannedSnapshot(reply), null, clock.GetUtcNow(), "/" + reply.Shortcut));
        await work.Db.SaveChangesAsync(ct);
    }

    private static string CannedSnapshot(CannedReply reply) => JsonSerializer.Serialize(new { shortcut = reply.Shortcut, text = reply.Text },
        new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    // The audit log names people by their user; the inbox knows them by their membership.
    private static async Task<Guid?> ActorUserIdAsync(AppDbContext db, InboxActor actor, CancellationToken ct) =>
        actor.MemberId is { } member ? await db.TenantMembers.Where(m => m.Id == member).Select(m => (Guid?)m.UserId).SingleOrDefaultAsync(ct) : null;

    private async Task TakeOverIfUnownedAsync(InboxActor actor, Guid conversationId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        var conversation = await work.Db.Conversations.VisibleTo(work.Db, actor.MemberId).SingleOrDefaultAsync(c => c.Id == conversationId, ct)
            ?? throw NotFound();
        if (conversation.Owner == ConversationOwner.Human && conversation.AssignedMemberId is not null) return;
        if (conversation.IsResolved) conversation.Reopen();
        var pending = conversation.AgentDueAt is not null;
        conversation.TakeOver(actor.MemberId);
        work.Db.ConversationEvents.Add(Event(conversation, ConversationEventType.TakenOver, actor, $"Taken over by {actor.Name} (replied)",
            new { actor = actor.Name, cancelledTurn = pending, replied = true }));
        await SaveAsync(work.Db, ct);
    }

    private Task ChangeAsync(InboxActor actor, Guid conversationId, uint? version,
        Func<Conversation, AppDbContext, ConversationEvent?> change, CancellationToken ct) =>
        ChangeAsync(actor, conversationId, version, (c, db) => Task.FromResult(change(c, db)), ct);

    /// <summary>Applies one guarded change; a change that answers null did nothing (a no-op transition) and is not saved.</summary>
    private async Task ChangeAsync(InboxActor actor, Guid conversationId, uint? version,
        Func<Conversation, AppDbContext, Task<ConversationEvent?>> change, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(actor.TenantId, null);
        var db = work.Db;
        // A conversation of a channel the member does not work is not found, exactly like another tenant's.
        var conversation = await db.Conversations.VisibleTo(db, actor.MemberId).SingleOrDefaultAsync(c => c.Id == conversationId, ct)
            ?? throw NotFound();
        if (version is { } expected)
        {
            // Check against what the operator saw, not just what this request loaded.
            var property = db.Entry(conversation).Property<uint>("Version");
            if (property.CurrentValue != expected) throw Conflict();
            property.OriginalValue = expected;
        }
        if (await change(conversation, db) is not { } recorded) return;
        db.ConversationEvents.Add(recorded);
        await SaveAsync(db, ct);
    }

    private static async Task SaveAsync(AppDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            throw Conflict();
        }
    }

    private async Task RequireVisibleAsync(InboxActor actor, Guid conversationId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(actor.TenantId);
        if (!await work.Db.Conversations.VisibleTo(work.Db, actor.MemberId).AnyAsync(c => c.Id == conversationId, ct)) throw NotFound();
    }

    private static DomainException NotFound() => new("conversation.not_found", "No such conversation in this workspace.");

    private static ConflictException Conflict() => new(ConflictCode,
        "Someone else changed this conversation a moment ago. It has been refreshed: check it and try again.");

    private static void RequireManager(InboxActor actor)
    {
        if (!actor.CanManageWorkspace) throw new InboxForbiddenException("Only owners and admins can switch the bot for a channel or the whole workspace.");
    }

    private ConversationEvent Event(Conversation c, ConversationEventType type, InboxActor actor, string text, object data) =>
        ConversationEvent.Record(c, type, actor.MemberId, text, JsonSerializer.Serialize(data, JsonSerializerOptions.Web), clock.GetUtcNow());
}

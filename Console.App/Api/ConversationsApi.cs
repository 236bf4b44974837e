using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record SendTemplate(string? Name, string? Language, IReadOnlyList<string>? Parameters);
public sealed record SendMessageRequest(string? Text, SendTemplate? Template);
public sealed record QueuedMessageResponse(Guid Id, string Status, DateTimeOffset CreatedAt);
public sealed record TakeOverRequest(Guid? MemberId);

public sealed record ConversationResponse(Guid Id, Guid ChannelId, Guid ContactId, string? ContactName, string? ContactPhone, string Status,
    string Owner, Guid? AssignedMemberId, string? HandoffReason, string? Priority, DateTimeOffset? SlaDueAt, DateTimeOffset? CustomerWindowExpiresAt,
    bool CustomerWindowOpen, DateTimeOffset? SnoozedUntil, int UnreadCount, DateTimeOffset? LastMessageAt, string? LastMessagePreview,
    DateTimeOffset CreatedAt, IReadOnlyList<Guid> LabelIds);
public sealed record ConversationPage(IReadOnlyList<ConversationResponse> Items, string? NextCursor);

public sealed record MessageResponse(Guid Id, string Direction, string Sender, string Type, string? Text, string Status, string? ErrorCode,
    string? Error, DateTimeOffset SentAt, string? ExternalId, string? ReplyToExternalId, string? MediaUrl, DateTimeOffset? DeletedAt);
public sealed record MessageListPage(IReadOnlyList<MessageResponse> Items, string? NextCursor);

public sealed record ContactResponse(Guid Id, string? Name, string? Phone, string? Email, string? Company, string Stage, int Score,
    string Temperature, bool BotEnabled, string? Summary, IReadOnlyDictionary<string, string> Fields, DateTimeOffset CreatedAt,
    DateTimeOffset? LastSeenAt);
public sealed record ContactListPage(IReadOnlyList<ContactResponse> Items, string? NextCursor);
public sealed record PatchContactRequest(string? Name, string? Email, string? Stage, bool? BotEnabled, Dictionary<string, string?>? Fields);

public static class ConversationsApi
{
    public static RouteGroupBuilder MapConversationsApi(this RouteGroupBuilder api)
    {
        var conversations = api.MapGroup("/tenants/{t}/conversations").WithTags("Conversations");
        conversations.MapGet("/", List)
            .WithSummary("Conversations, newest activity first, a keyset page at a time: {items, nextCursor}; labelId= narrows to one label.");
        conversations.MapGet("/{id:guid}", Get).WithSummary("One conversation with owner, status, handoff and customer-window expiry.");
        conversations.MapGet("/{id:guid}/messages", Messages)
            .WithSummary("Messages oldest→newest, a page at a time, with delivery status and Meta's error when one failed.");
        conversations.MapPost("/{id:guid}/messages", SendMessage)
            .WithSummary("Send a message as a human agent: free text inside the customer window, or a WhatsApp template.");
        conversations.MapPost("/{id:guid}/takeover", TakeOver)
            .WithSummary("A human takes over (the bot goes silent, a pending bot turn is cancelled); optionally {memberId} to assign.");
        conversations.MapPost("/{id:guid}/release", Release).WithSummary("Hand the conversation back to the bot.");
        conversations.MapPost("/{id:guid}/resolve", Resolve).WithSummary("Resolve the conversation.");

        var contacts = api.MapGroup("/tenants/{t}/contacts").WithTags("Contacts");
        contacts.MapGet("/", Contacts).WithSummary("Leads, highest score first; filter by stage, temperature and q (name, phone, e-mail).");
        contacts.MapGet("/{id:guid}", Contact).WithSummary("One contact with score, temperature, stage, fields and summary.");
        contacts.MapPatch("/{id:guid}", PatchContact).WithSummary("Change name, e-mail, stage, the contact's bot switch or fields (null removes a field).");
        return api;
    }

    private static async Task<Results<Ok<ConversationPage>, ProblemHttpResult>> List(string t, string? status, Guid? channelId, string? owner,
        Guid? labelId, string? cursor, int? limit, ClaimsPrincipal caller, ContextScopes scopes, InboxQueries inbox, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!TryParse<ConversationStatus>(status, out var statusFilter))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.status", Names<ConversationStatus>());
        if (!TryParse<ConversationOwner>(owner, out var ownerFilter))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.owner");
        var page = await inbox.ListAsync(tenant!.Id, null, new InboxFilter(InboxTab.All, channelId, statusFilter, Owner: ownerFilter, LabelId: labelId), cursor,
            limit ?? InboxQueries.DefaultPageSize, ct);
        var now = clock.GetUtcNow();
        return TypedResults.Ok(new ConversationPage(page.Items.Select(r => ToResponse(r, now)).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<ConversationResponse>, ProblemHttpResult>> Get(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, InboxQueries inbox, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var row = await inbox.GetAsync(tenant!.Id, id, ct);
        return row is null ? ApiProblems.Of(StatusCodes.Status404NotFound, "conversation.not_found") : TypedResults.Ok(ToResponse(row, clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<MessageListPage>, ProblemHttpResult>> Messages(string t, Guid id, string? cursor, int? limit,
        ClaimsPrincipal caller, ContextScopes scopes, InboxQueries inbox, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!await inbox.ConversationExistsAsync(tenant!.Id, id, ct)) return ApiProblems.Of(StatusCodes.Status404NotFound, "conversation.not_found");
        var page = await inbox.MessagesAsync(tenant.Id, id, cursor, limit ?? InboxQueries.DefaultPageSize, ct);
        return TypedResults.Ok(new MessageListPage(page.Items.Select(m => new MessageResponse(m.Id, m.Direction.ToString(), m.Sender.ToString(),
            m.Type.ToString(), m.Body, m.Status.ToString(), m.ErrorCode, m.ErrorText, m.SentAt, m.ExternalId, m.ReplyToExternalId,
            m.MediaState == MediaState.Stored ? $"/media/{m.Id}" : null, m.DeletedAt)).ToList(), page.NextCursor));
    }

    private static async Task<Results<Accepted<QueuedMessageResponse>, ProblemHttpResult>> SendMessage(string t, Guid id, SendMessageRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, OutboundMessages outbound, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        OutboundContent content;
        if (body.Template is { } template)
        {
            if (string.IsNullOrWhiteSpace(template.Name) || string.IsNullOrWhiteSpace(template.Language))
                return ApiProblems.Of(StatusCodes.Status400BadRequest, "template.invalid");
            content = new OutboundContent { Template = new TemplateContent(template.Name, template.Language, template.Parameters ?? []) };
        }
        else if (!string.IsNullOrEmpty(body.Text))
        {
            content = new OutboundContent { Text = body.Text };
        }
        else
        {
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.text_or_template");
        }
        var message = await outbound.QueueAsync(tenant!.Id, id, MessageSender.Agent, null, content, ct);
        return TypedResults.Accepted($"/api/v1/tenants/{tenant.Id}/conversations/{id}/messages/{message.Id}",
            new QueuedMessageResponse(message.Id, message.Status.ToString(), message.CreatedAt));
    }

    private static async Task<Results<Ok<ConversationResponse>, ProblemHttpResult>> TakeOver(string t, Guid id, TakeOverRequest? body,
        ClaimsPrincipal caller, ContextScopes scopes, InboxQueries inbox, ConversationCommands commands, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var actor = InboxActor.Integration(tenant!.Id, ActorName(caller));
        if (body?.MemberId is { } memberId) await commands.AssignAsync(actor, id, memberId, ct: ct);
        else await commands.TakeOverAsync(actor, id, ct: ct);
        return TypedResults.Ok(ToResponse((await inbox.GetAsync(tenant.Id, id, ct))!, clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<ConversationResponse>, ProblemHttpResult>> Release(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, InboxQueries inbox, ConversationCommands commands, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await commands.HandBackAsync(InboxActor.Integration(tenant!.Id, ActorName(caller)), id, ct: ct);
        return TypedResults.Ok(ToResponse((await inbox.GetAsync(tenant.Id, id, ct))!, clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<ConversationResponse>, ProblemHttpResult>> Resolve(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, InboxQueries inbox, ConversationCommands commands, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await commands.ResolveAsync(InboxActor.Integration(tenant!.Id, ActorName(caller)), id, ct: ct);
        return TypedResults.Ok(ToResponse((await inbox.GetAsync(tenant.Id, id, ct))!, clock.GetUtcNow()));
    }

    private static async Task<Results<Ok<ContactListPage>, ProblemHttpResult>> Contacts(string t, string? stage, string? temperature, string? q,
        string? cursor, int? limit, ClaimsPrincipal caller, ContextScopes scopes, InboxQueries inbox, LeadPipeline pipeline, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var (stageFilter, stageProblem) = await StageFilterAsync(pipeline, tenant!.Id, stage, ct);
        if (stageProblem is not null) return stageProblem;
        if (!TryParse<LeadTemperature>(temperature, out var temperatureFilter))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.temperature", Names<LeadTemperature>());
        var page = await inbox.ContactsAsync(tenant!.Id, stageFilter, temperatureFilter, q, cursor, limit ?? InboxQueries.DefaultPageSize, ct);
        return TypedResults.Ok(new ContactListPage(page.Items.Select(ToResponse).ToList(), page.NextCursor));
    }

    private static async Task<Results<Ok<ContactResponse>, ProblemHttpResult>> Contact(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, InboxQueries inbox, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var contact = await inbox.ContactAsync(tenant!.Id, id, ct);
        return contact is null ? ApiProblems.Of(StatusCodes.Status404NotFound, "contact.not_found") : TypedResults.Ok(ToResponse(contact));
    }

    private static async Task<Results<Ok<ContactResponse>, ProblemHttpResult>> PatchContact(string t, Guid id, PatchContactRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, InboxQueries inbox, ConversationCommands commands, LeadPipeline pipeline, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (await inbox.ContactAsync(tenant!.Id, id, ct) is null) return ApiProblems.Of(StatusCodes.Status404NotFound, "contact.not_found");
        var (_, stageProblem) = await StageFilterAsync(pipeline, tenant.Id, body.Stage, ct);
        if (stageProblem is not null) return stageProblem;
        var updated = await commands.UpdateContactAsync(InboxActor.Integration(tenant.Id, ActorName(caller)), id,
            new ContactPatch(body.Name, body.Email, body.Stage, body.BotEnabled, body.Fields), ct);
        return TypedResults.Ok(ToResponse(updated));
    }

    private static ConversationResponse ToResponse(InboxRow r, DateTimeOffset now) => new(r.Id, r.ChannelId, r.ContactId, r.ContactName,
        r.ContactPhone, r.Status.ToString(), r.Owner.ToString(), r.AssignedMemberId, r.HandoffReason?.ToString(), r.Priority?.ToString(),
        r.SlaDueAt, r.CustomerWindowExpiresAt, CustomerWindow.IsOpen(r.CustomerWindowExpiresAt, now), r.SnoozedUntil, r.UnreadCount, r.LastMessageAt,
        r.LastMessagePreview, r.CreatedAt, r.LabelIds);

    private static ContactResponse ToResponse(ContactRow c) => new(c.Id, c.Name, c.PhoneE164, c.Email, c.Company, c.StageName, c.Score,
        c.Temperature.ToString(), c.BotEnabled, c.Summary, c.Fields, c.CreatedAt, c.LastSeenAt);

    /// <summary>A stage filter is a stage's id or its name (case and accents ignored); unknown → 400 naming the stages.</summary>
    internal static async Task<(Guid? Stage, ProblemHttpResult? Problem)> StageFilterAsync(LeadPipeline pipeline, Guid tenantId, string? stage,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(stage)) return (null, null);
        var stages = await pipeline.StagesAsync(tenantId, ct);
        var found = Guid.TryParse(stage, out var id) ? stages.FirstOrDefault(s => s.Id == id) : LeadPipeline.Match(stages, stage);
        return found is not null ? (found.Id, null)
            : (null, ApiProblems.Of(StatusCodes.Status400BadRequest, "api.stage", string.Join(", ", stages.Select(s => s.Name))));
    }

    private static string ActorName(ClaimsPrincipal caller) => caller.Identity?.Name is { Length: > 0 } name ? $"API ({name})" : "API";

    private static bool TryParse<T>(string? value, out T? parsed) where T : struct, Enum
    {
        parsed = null;
        if (string.IsNullOrWhiteSpace(value)) return true;
        if (!Enum.TryParse<T>(value, ignoreCase: true, out var v) || !Enum.IsDefined(v) || int.TryParse(value, out _)) return false;
        parsed = v;
        return true;
    }

    private static string Names<T>() where T : struct, Enum => string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()));


}

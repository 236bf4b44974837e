using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Templates;
using OperatorConsole.Infrastructure.Channels.Outbound;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Templates;

/// <summary>How a sync went: templates listed by Meta, and how many we marked deleted because Meta no longer lists them.</summary>
public sealed record TemplateSyncResult(int Listed, int Deleted);

/// <summary>A WhatsApp template as screens and the API show it.</summary>
public sealed record TemplateView(Guid Id, Guid ChannelId, string Name, string Language, TemplateCategory Category, TemplateStatus Status,
    string ComponentsJson, string? RejectionReason, DateTimeOffset SyncedAt)
{
    public TemplateShape Shape => TemplateShape.Parse(ComponentsJson);
}

/// <summary>Meta refused or could not be asked; the message is Meta's own (e.g. "Template name already exists").</summary>
public sealed class TemplateProviderException(string message, bool unreachable) : Exception(message)
{
    public bool Unreachable { get; } = unreachable;
}

/// <summary>
/// A WhatsApp channel's message templates on its WABA: sync (GET /{waba-id}/message_templates, every page), create
/// (POST, then Meta reviews it) and delete (DELETE ?name=). Review results arrive by the
/// message_template_status_update webhook (<see cref="ApplyStatusAsync"/>).
/// </summary>
public sealed class WhatsAppTemplates(
    ContextScopes scopes,
    IHttpClientFactory httpClients,
    IOptionsMonitor<MetaOptions> meta,
    SecretProtector secrets,
    TimeProvider clock,
    ILogger<WhatsAppTemplates> log)
{
    private const string Api = "Meta Graph API";

    /// <summary>A bound on paging: a WABA holds at most a few hundred templates, so a longer chain is a loop.</summary>
    private const int MaxPages = 50;

    public async Task<IReadOnlyList<TemplateView>> ListAsync(Guid tenantId, Guid channelId, bool approvedOnly = false, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        await RequireChannelAsync(work.Db, channelId, ct);
        var query = work.Db.MessageTemplates.AsNoTracking().Where(t => t.ChannelId == channelId && t.Status != TemplateStatus.Deleted);
        if (approvedOnly) query = query.Where(t => t.Status == TemplateStatus.Approved);
        return (await query.OrderBy(t => t.Name).ThenBy(t => t.Language).ToListAsync(ct)).Select(ToView).ToList();
    }

    /// <summary>Approved templates of every WhatsApp channel of the workspace (settings that are not tied to one channel).</summary>
    public async Task<IReadOnlyList<TemplateView>> ApprovedForTenantAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return (await work.Db.MessageTemplates.AsNoTracking().Where(t => t.Status == TemplateStatus.Approved)
            .OrderBy(t => t.Name).ThenBy(t => t.Language).ToListAsync(ct)).Select(ToView).ToList();
    }

    public async Task<TemplateSyncResult> SyncAsync(Guid tenantId, Guid channelId, CancellationToken ct = default)
    {
        Channel channel;
        await using (var read = scopes.ForTenant(tenantId)) channel = await RequireChannelAsync(read.Db, channelId, ct);
        var waba = RequireWaba(channel);
        var token = secrets.Reveal(channel).AccessToken;
        var o = meta.CurrentValue;
        var graph = new Uri(o.GraphBaseUrl.TrimEnd('/') + "/");
        var url = new Uri(graph, $"{o.GraphVersion}/{Uri.EscapeDataString(waba)}/message_templates?fields=id,name,language,category,status,components,rejected_reason&limit=100");
        var listed = new List<JsonObject>();
        for (var page = 0; url is not null && page < MaxPages; page++)
        {
            var root = await CallAsync(HttpMethod.Get, url, token, null, ct);
            listed.AddRange((root["data"] as JsonArray ?? []).OfType<JsonObject>());
            // The next page's address comes from Meta's answer: follow it only on the Graph host, so a tampered answer
            // cannot send the channel's token elsewhere.
            url = Str(root["paging"]?["next"]) is { } next && Uri.TryCreate(next, UriKind.Absolute, out var n)
                && n.Host == graph.Host && n.Port == graph.Port && n.Scheme == graph.Scheme ? n : null;
        }

        var now = clock.GetUtcNow();
        await using var work = scopes.ForTenant(tenantId);
        var known = await work.Db.MessageTemplates.Where(t => t.ChannelId == channelId).ToListAsync(ct);
        var seen = new HashSet<Guid>();
        foreach (var item in listed)
        {
            if (Str(item["name"]) is not { } name || Str(item["language"]) is not { } language) continue;
            var status = MessageTemplate.ParseStatus(Str(item["status"]));
            var category = MessageTemplate.ParseCategory(Str(item["category"]));
            var components = (item["components"] as JsonArray)?.ToJsonString() ?? "[]";
            var existing = known.FirstOrDefault(t => t.Name == name && t.Language == language);
            if (existing is null)
            {
                existing = MessageTemplate.Record(tenantId, channelId, name, language, category, status, components, Str(item["id"]),
                    Str(item["rejected_reason"]), now);
                work.Db.MessageTemplates.Add(existing);
                known.Add(existing);
            }
            else
            {
                existing.Refresh(category, status, components, Str(item["id"]), Str(item["rejected_reason"]), now);
            }
            seen.Add(existing.Id);
        }
        var deleted = 0;
        foreach (var gone in known.Where(t => !seen.Contains(t.Id) && t.Status != TemplateStatus.Deleted))
        {
            gone.MarkDeleted(now);
            deleted++;
        }
        await work.Db.SaveChangesAsync(ct);
        log.LogInformation("Synced {Count} templates of channel {ChannelId} ({Deleted} gone from Meta)", listed.Count, channelId, deleted);
        return new TemplateSyncResult(listed.Count, deleted);
    }

    /// <summary>Validates locally, then submits for Meta's review; the template is stored with the status Meta answers (usually PENDING).</summary>
    public async Task<TemplateView> CreateAsync(Guid tenantId, Guid channelId, TemplateDraft draft, CancellationToken ct = default)
    {
        Channel channel;
        await using (var read = scopes.ForTenant(tenantId))
        {
            channel = await RequireChannelAsync(read.Db, channelId, ct);
            draft.Validate();
            if (await read.Db.MessageTemplates.AnyAsync(t => t.ChannelId == channelId && t.Name == draft.Name && t.Language == draft.Language
                    && t.Status != TemplateStatus.Deleted, ct))
                throw new DomainException("template.exists", $"A template {draft.Name} ({draft.Language}) already exists on this number.", draft.Name, draft.Language);
        }
        var waba = RequireWaba(channel);
        var components = draft.Components();
        var o = meta.CurrentValue;
        var url = new Uri($"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphVersion}/{Uri.EscapeDataString(waba)}/message_templates");
        var body = new JsonObject
        {
            ["name"] = draft.Name,
            ["language"] = draft.Language,
            ["category"] = draft.Category.ToString().ToUpperInvariant(),
            ["components"] = components.DeepClone(),
        };
        var root = await CallAsync(HttpMethod.Post, url, secrets.Reveal(channel).AccessToken, body, ct);
        var now = clock.GetUtcNow();
        await using var work = scopes.ForTenant(tenantId);
        var template = await work.Db.MessageTemplates.SingleOrDefaultAsync(t => t.ChannelId == channelId && t.Name == draft.Name && t.Language == draft.Language, ct);
        var status = Str(root["status"]) is { } s ? MessageTemplate.ParseStatus(s) : TemplateStatus.Pending;
        var category = Str(root["category"]) is { } c ? MessageTemplate.ParseCategory(c) : draft.Category;
        if (template is null)
        {
            template = MessageTemplate.Record(tenantId, channelId, draft.Name!, draft.Language!, category, status, components.ToJsonString(), Str(root["id"]), null, now);
            work.Db.MessageTemplates.Add(template);
        }
        else
        {
            template.Refresh(category, status, components.ToJsonString(), Str(root["id"]), null, now); // a name deleted earlier, submitted again
        }
        await work.Db.SaveChangesAsync(ct);
        return ToView(template);
    }

    public async Task DeleteAsync(Guid tenantId, Guid channelId, Guid templateId, CancellationToken ct = default)
    {
        Channel channel;
        MessageTemplate template;
        await using (var read = scopes.ForTenant(tenantId))
        {
            channel = await RequireChannelAsync(read.Db, channelId, ct);
            template = await read.Db.MessageTemplates.AsNoTracking().SingleOrDefaultAsync(t => t.Id == templateId && t.ChannelId == channelId, ct)
                ?? throw new DomainException("template.not_found", "No such template on this number.");
        }
        var o = meta.CurrentValue;
        // By name Meta deletes every language of it; with hsm_id only this one.
        var query = $"name={Uri.EscapeDataString(template.Name)}" + (template.ProviderId is { } id ? $"&hsm_id={Uri.EscapeDataString(id)}" : "");
        var url = new Uri($"{o.GraphBaseUrl.TrimEnd('/')}/{o.GraphVersion}/{Uri.EscapeDataString(RequireWaba(channel))}/message_templates?{query}");
        await CallAsync(HttpMethod.Delete, url, secrets.Reveal(channel).AccessToken, null, ct);
        await using var work = scopes.ForTenant(tenantId);
        await work.Db.MessageTemplates.Where(t => t.Id == templateId).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// A review result from the message_template_status_update webhook, routed by the WABA id in entry[].id (the
    /// delivery has no phone number). Runs in the webhook processor's transaction (platform context).
    /// </summary>
    public static async Task<int> ApplyStatusAsync(AppDbContext db, string wabaId, string? providerId, string? name, string? language,
        string wireStatus, string? reason, Guid? routeTenantId, DateTimeOffset now, CancellationToken ct)
    {
        var channels = await db.Channels.Where(c => c.Kind == ChannelKind.WhatsApp && c.AccountId == wabaId
            && (routeTenantId == null || c.TenantId == routeTenantId)).Select(c => c.Id).ToListAsync(ct);
        if (channels.Count == 0) return 0;
        var templates = await db.MessageTemplates.Where(t => channels.Contains(t.ChannelId)
            && ((providerId != null && t.ProviderId == providerId) || (t.Name == name && (language == null || t.Language == language)))).ToListAsync(ct);
        var status = MessageTemplate.ParseStatus(wireStatus);
        if (status == TemplateStatus.Unknown) return 0;
        foreach (var t in templates) t.ChangeStatus(status, reason, now);
        return templates.Count;
    }

    private async Task<JsonObject> CallAsync(HttpMethod method, Uri url, string token, JsonObject? body, CancellationToken ct)
    {
        using var request = body is null ? new HttpRequestMessage(method, url) : ChannelHttp.JsonPost(url.ToString(), body, _ => { });
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var (answer, failure) = await ChannelHttp.SendAsync(httpClients.CreateClient(ChannelHttp.GraphClient), request, Api, clock, ct);
        if (failure is not null) throw new TemplateProviderException(failure.Message, unreachable: true);
        var root = ChannelHttp.ParseObject(answer!.Body);
        if (answer.IsSuccess && root is not null) return root;
        // Meta's error_user_msg is written for the business; message is the developer's wording.
        var reason = Str(root?["error"]?["error_user_msg"]) ?? Str(root?["error"]?["message"]) ?? $"{Api} answered HTTP {answer.Status}";
        throw new TemplateProviderException(reason, unreachable: false);
    }

    private static async Task<Channel> RequireChannelAsync(AppDbContext db, Guid channelId, CancellationToken ct) =>
        await db.Channels.AsNoTracking().SingleOrDefaultAsync(c => c.Id == channelId, ct)
        ?? throw new DomainException("channel.not_found", "No such channel in this workspace.");

    private static string RequireWaba(Channel channel) =>
        channel.Kind == ChannelKind.WhatsApp && channel.AccountId is { Length: > 0 } waba
            ? waba
            : throw new DomainException("template.no_waba", "Templates need a WhatsApp number connected with its WhatsApp Business Account id (WABA id).");

    public static TemplateView ToView(MessageTemplate t) =>
        new(t.Id, t.ChannelId, t.Name, t.Language, t.Category, t.Status, t.ComponentsJson, t.RejectionReason, t.SyncedAt);

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}

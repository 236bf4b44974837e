using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Billing;
using OperatorConsole.Infrastructure.Channels;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.App.Api;

public sealed record CreateTenantRequest(string? Name, string? Slug, string? Plan, string? OwnerEmail, string? OwnerPassword);
public sealed record CreatedTenant(Guid Id, string Slug);
public sealed record TenantUsage(int Channels, int Contacts, int OpenConversations, int MessagesToday, int MessagesThisMonth,
    int RepliesToday, int RepliesThisMonth, long TokensThisMonth, decimal CostThisMonth);
/// <param name="SubscriptionStatus">trialing, active, past_due, unpaid, canceled or trial_ended (BillingStatus, snake_case).</param>
/// <param name="Credits">The prepaid AI-reply balance (the sum of the credit ledger).</param>
public sealed record TenantSummary(Guid Id, string Name, string Slug, string Plan, string Status, bool BotEnabled, string TimeZone,
    DateTimeOffset CreatedAt, string SubscriptionStatus, DateTimeOffset? TrialEndsAt, TenantUsage Usage, int Credits);
public sealed record CreditEntryDto(Guid Id, string Kind, int Replies, string Reference, DateTimeOffset? ExpiresAt, string Actor, string? Note,
    DateTimeOffset CreatedAt);
public sealed record CreditLedgerDto(IReadOnlyList<CreditEntryDto> Items, int Total, int Page, int PageSize, int Balance);
public sealed record CreateApiKeyRequest(string? Name, IReadOnlyList<string>? Scopes, DateTimeOffset? ExpiresAt);
public sealed record CreatedApiKey(Guid Id, string Key, string Prefix);
public sealed record ApiKeyResponse(Guid Id, string Name, string Prefix, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt);
public sealed record CreateChannelRequest(string? Kind, string? ExternalId, string? AccountId, string? DisplayName, string? AccessToken,
    string? AppSecret, string? VerifyToken);
public sealed record CreatedChannel(Guid Id, string WebhookUrl);

public static class TenantsApi
{
    public static RouteGroupBuilder MapTenantsApi(this RouteGroupBuilder api)
    {
        var tenants = api.MapGroup("/tenants").WithTags("Tenants");
        tenants.MapPost("/", CreateTenant).WithSummary("Create a tenant with its owner (platform key only).");
        tenants.MapGet("/{t}", GetTenant).WithSummary("Tenant summary with plan, subscription status and usage.");
        tenants.MapGet("/{t}/billing/credits", ListCredits)
            .WithSummary("The prepaid-credit ledger, newest first: ?page=1&pageSize=50 → {items: [{kind: grant|consume|expire|refund, replies, …}], total, balance}.");
        tenants.MapGet("/{t}/api-keys", ListApiKeys).WithSummary("The tenant's active API keys (prefix, name, scopes, dates; never the key). Needs admin.");
        tenants.MapPost("/{t}/api-keys", CreateApiKey)
            .WithSummary("Issue a tenant API key {name, scopes?: [read|write|admin] (default read, write), expiresAt?}; the key is shown only in this response. Needs admin.");
        tenants.MapDelete("/{t}/api-keys/{id:guid}", RevokeApiKey).WithSummary("Revoke an API key: refused with 401 from its next call. Needs admin.");
        tenants.MapPost("/{t}/channels", CreateChannel).WithSummary("Connect a WhatsApp, Messenger, Instagram or TikTok channel.");
        return api;
    }

    private static async Task<Results<Created<CreatedTenant>, ProblemHttpResult>> CreateTenant(CreateTenantRequest body,
        ClaimsPrincipal caller, TenantProvisioning provisioning, CancellationToken ct)
    {
        if (!caller.IsPlatformApiCaller())
            return ApiProblems.Of(StatusCodes.Status403Forbidden, "api.platform_only");
        if (string.IsNullOrWhiteSpace(body.Name) || string.IsNullOrWhiteSpace(body.Slug) || string.IsNullOrWhiteSpace(body.OwnerEmail))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.tenant_required");
        var plan = Plan.Starter;
        if (!string.IsNullOrEmpty(body.Plan) && !Enum.TryParse(body.Plan, ignoreCase: true, out plan))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.plan", body.Plan, string.Join(", ", Enum.GetNames<Plan>()));
        var created = await provisioning.CreateAsync(new NewTenant(body.Name, body.Slug, plan, body.OwnerEmail, body.OwnerPassword),
            caller.Identity?.Name ?? "api", ct);
        return TypedResults.Created($"/api/v1/tenants/{created.Id}", new CreatedTenant(created.Id, created.Slug));
    }

    private static async Task<Results<Ok<TenantSummary>, ProblemHttpResult>> GetTenant(string t, ClaimsPrincipal caller,
        ContextScopes scopes, BillingReads billing, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var now = clock.GetUtcNow();
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var meters = await billing.UsageAsync(work.Db, tenant.Id, ct);
        var entitlement = await billing.EntitlementAsync(work.Db, tenant.Id, ct);
        var usage = new TenantUsage(
            await work.Db.Channels.CountAsync(ct),
            await work.Db.Contacts.CountAsync(ct),
            await work.Db.Conversations.CountAsync(c => c.Status != ConversationStatus.Resolved, ct),
            await work.Db.Messages.CountAsync(m => m.CreatedAt >= today, ct),
            await work.Db.Messages.CountAsync(m => m.CreatedAt >= month, ct),
            meters.RepliesToday, meters.RepliesThisMonth, meters.TokensThisMonth, meters.CostThisMonth);
        return TypedResults.Ok(new TenantSummary(tenant.Id, tenant.Name, tenant.Slug, tenant.Plan.ToString(), tenant.Status.ToString(),
            tenant.BotEnabled, tenant.TimeZone, tenant.CreatedAt, JsonNamingPolicy.SnakeCaseLower.ConvertName(entitlement.Status.ToString()),
            entitlement.TrialEndsAt, usage, meters.CreditBalance));
    }

    private static async Task<Results<Ok<CreditLedgerDto>, ProblemHttpResult>> ListCredits(string t, int? page, int? pageSize, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var (p, size) = (Math.Max(1, page ?? 1), Math.Clamp(pageSize ?? 50, 1, 200));
        var ledger = await CreditLedger.ListAsync(work.Db, tenant.Id, p, size, ct);
        return TypedResults.Ok(new CreditLedgerDto(ledger.Entries.Select(e => new CreditEntryDto(e.Id, e.Kind.ToString().ToLowerInvariant(), e.Replies,
            e.Reference, e.ExpiresAt, e.Actor, e.Note, e.CreatedAt)).ToList(), ledger.Total, p, size, ledger.Balance));
    }

    private static async Task<Results<Created<CreatedApiKey>, ProblemHttpResult>> CreateApiKey(string t, CreateApiKeyRequest? body,
        ClaimsPrincipal caller, ContextScopes scopes, ApiKeyService apiKeys, CancellationToken ct)
    {
        var (tenant, problem) = await ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var issued = await apiKeys.IssueAsync(tenant!.Id, body?.Name, body?.Scopes, body?.ExpiresAt, KeyActor(caller), ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/api-keys/{issued.Id}", new CreatedApiKey(issued.Id, issued.Key, issued.Prefix));
    }

    private static async Task<Results<Ok<List<ApiKeyResponse>>, ProblemHttpResult>> ListApiKeys(string t, ClaimsPrincipal caller,
        ContextScopes scopes, ApiKeyService apiKeys, CancellationToken ct)
    {
        var (tenant, problem) = await ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var keys = await apiKeys.ListAsync(tenant!.Id, ct: ct);
        return TypedResults.Ok(keys.Select(k => new ApiKeyResponse(k.Id, k.Name, k.Prefix, k.Scopes, k.CreatedAt, k.LastUsedAt, k.ExpiresAt)).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeApiKey(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, ApiKeyService apiKeys, CancellationToken ct)
    {
        var (tenant, problem) = await ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await apiKeys.RevokeAsync(tenant!.Id, id, KeyActor(caller), ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "api_key.not_found");
    }

    private static ApiKeyActor KeyActor(ClaimsPrincipal caller) => new(caller.Identity?.Name ?? "api");

    private static async Task<Results<Created<CreatedChannel>, ProblemHttpResult>> CreateChannel(string t, CreateChannelRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, ChannelConnections channels, HttpRequest request, CancellationToken ct)
    {
        var (tenant, problem) = await ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!Enum.TryParse<ChannelKind>(body.Kind, ignoreCase: true, out var kind) || !Enum.IsDefined(kind))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.channel_kind");
        if (string.IsNullOrWhiteSpace(body.ExternalId) || string.IsNullOrWhiteSpace(body.AccessToken))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.channel_required");
        Channel channel;
        try
        {
            channel = await channels.ConnectAsync(tenant!.Id, new ConnectChannel(kind, body.ExternalId, body.AccountId, body.DisplayName,
                body.AccessToken, body.AppSecret, body.VerifyToken), caller.Identity?.Name ?? "api", ct);
        }
        catch (ChannelOwnershipException refused)
        {
            // The provider's own reason (e.g. Meta's error.message) tells the caller what is wrong with the token.
            return ApiProblems.Of(refused.ProviderUnreachable ? StatusCodes.Status502BadGateway : StatusCodes.Status400BadRequest,
                refused.Code, kind, refused.Message);
        }
        // From the configured public URL, not this request's Host (whoever sends the request chooses that header).
        var url = request.HttpContext.RequestServices.GetRequiredService<Infrastructure.Platform.PublicLinks>().To(ChannelConnections.WebhookPath(kind, tenant.Slug));
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/channels/{channel.Id}", new CreatedChannel(channel.Id, url));
    }

    /// <summary>
    /// Finds the tenant by id or slug and checks the caller may reach it. A tenant key asking for any other tenant
    /// gets 403 whether or not that tenant exists, so keys cannot probe for other tenants.
    /// </summary>
    internal static async Task<(Tenant? Tenant, ProblemHttpResult? Problem)> ResolveAsync(string t, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        Tenant? tenant;
        await using (var work = scopes.ForSystem("api tenant lookup"))
        {
            tenant = Guid.TryParse(t, out var id)
                ? await work.Db.Tenants.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct)
                : await work.Db.Tenants.AsNoTracking().SingleOrDefaultAsync(x => x.Slug == t.ToLowerInvariant(), ct);
        }
        if (!caller.IsPlatformApiCaller() && (tenant is null || caller.GetTenantId() != tenant.Id))
            return (null, ApiProblems.Of(StatusCodes.Status403Forbidden, "api.other_tenant"));
        if (tenant is null) return (null, ApiProblems.Of(StatusCodes.Status404NotFound, "api.no_tenant", t));
        return (tenant, null);
    }

}

using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Integrations;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Webhooks;

namespace OperatorConsole.App.Api;

public sealed record WebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Secret);
public sealed record WebhookPatch(bool? Active);
public sealed record WebhookResponse(Guid Id, string Url, IReadOnlyList<string> Events, bool Active, DateTimeOffset CreatedAt);
public sealed record WebhookList(IReadOnlyList<WebhookResponse> Items);
public sealed record WebhookCreated(Guid Id, string Secret);
public sealed record WebhookDeliveryResponse(Guid Id, Guid EventId, string Type, string Status, int Attempts, int? ResponseStatus,
    string? Response, DateTimeOffset? LastAttemptAt, DateTimeOffset CreatedAt);
public sealed record WebhookDeliveryList(IReadOnlyList<WebhookDeliveryResponse> Items);

/// <summary>Outbound webhook subscriptions (the tenant's own systems hearing its events), their delivery logs and replay.</summary>
public static class WebhooksApi
{
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/tenants/{t}/webhooks").WithTags("Webhooks");
        hooks.MapGet("/", List).WithSummary("The tenant's subscriptions {items: [{id, url, events, active, createdAt}]} (secrets are never shown again).");
        hooks.MapPost("/", Create).WithSummary("Subscribe {url, events: [...], secret?} → 201 {id, secret}; the secret is generated when left out and shown only here.");
        hooks.MapPatch("/{id:guid}", Patch).WithSummary("Pause or activate a subscription {active}.");
        hooks.MapDelete("/{id:guid}", Delete).WithSummary("Remove a subscription and its delivery log.");
        hooks.MapGet("/{id:guid}/deliveries", Deliveries)
            .WithSummary("The delivery log {items: [{id, eventId, type, status: pending|delivered|failed, attempts, responseStatus, response, lastAttemptAt}]}, newest first.");
        hooks.MapPost("/{id:guid}/deliveries/{deliveryId:guid}/replay", Replay).WithSummary("Send a delivery again (same event id) → 202.");
        return api;
    }

    private static async Task<Results<Ok<WebhookList>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller, ContextScopes scopes,
        OutboundWebhookService webhooks, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var rows = await webhooks.ListAsync(tenant!.Id, ct);
        return TypedResults.Ok(new WebhookList(rows.Select(w => new WebhookResponse(w.Id, w.Url, w.Events, w.Active, w.CreatedAt)).ToList()));
    }

    private static async Task<Results<Created<WebhookCreated>, ProblemHttpResult>> Create(string t, WebhookRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, OutboundWebhookService webhooks, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var created = await webhooks.CreateAsync(tenant!.Id, body.Url, body.Events, body.Secret, ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/webhooks/{created.Id}", new WebhookCreated(created.Id, created.Secret));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Patch(string t, Guid id, WebhookPatch body, ClaimsPrincipal caller,
        ContextScopes scopes, OutboundWebhookService webhooks, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (body.Active is not { } active) return ApiProblems.Of(StatusCodes.Status400BadRequest, "request.invalid");
        return await webhooks.SetActiveAsync(tenant!.Id, id, active, ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, OutboundWebhook.NotFoundCode);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        OutboundWebhookService webhooks, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await webhooks.DeleteAsync(tenant!.Id, id, ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, OutboundWebhook.NotFoundCode);
    }

    private static async Task<Results<Ok<WebhookDeliveryList>, ProblemHttpResult>> Deliveries(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, OutboundWebhookService webhooks, CancellationToken ct, int take = 50)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var rows = await webhooks.DeliveriesAsync(tenant!.Id, id, take, ct);
        if (rows is null) return ApiProblems.Of(StatusCodes.Status404NotFound, OutboundWebhook.NotFoundCode);
        return TypedResults.Ok(new WebhookDeliveryList(rows.Select(d => new WebhookDeliveryResponse(d.Id, d.EventId, d.Type,
            d.Status.ToString().ToLowerInvariant(), d.Attempts, d.ResponseStatus, d.Response, d.LastAttemptAt, d.CreatedAt)).ToList()));
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> Replay(string t, Guid id, Guid deliveryId, ClaimsPrincipal caller,
        ContextScopes scopes, OutboundWebhookService webhooks, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await webhooks.ReplayAsync(tenant!.Id, id, deliveryId, ct)
            ? TypedResults.Accepted((string?)null)
            : ApiProblems.Of(StatusCodes.Status404NotFound, OutboundWebhookDelivery.NotFoundCode);
    }
}

using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Templates;
using OperatorConsole.Infrastructure.Templates;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record TemplateResponse(Guid Id, string Name, string Language, string Category, string Status, JsonElement Components,
    string? RejectionReason, DateTimeOffset SyncedAt);

public sealed record TemplateList(IReadOnlyList<TemplateResponse> Items);

public sealed record TemplateSyncResponse(int Listed, int Deleted);

public sealed record TemplateButtonRequest(string? Type, string? Text, string? Url);

/// <summary>POST body: a template to submit for Meta's review. Variables {{1}}… in the body need one sample each.</summary>
public sealed record CreateTemplateRequest(string? Name, string? Language, string? Category, string? Header, string? Body,
    IReadOnlyList<string>? BodySamples, string? Footer, IReadOnlyList<TemplateButtonRequest>? Buttons);

/// <summary>WhatsApp message templates of a channel's WABA.</summary>
public static class TemplatesApi
{
    public static RouteGroupBuilder MapTemplatesApi(this RouteGroupBuilder api)
    {
        var templates = api.MapGroup("/tenants/{t}/channels/{c:guid}/templates").WithTags("Channels");
        templates.MapGet("/", List).WithSummary("The channel's WhatsApp templates {items: [{name, language, category, status, components, rejectionReason}]}; ?status=approved for sendable ones.");
        templates.MapPost("/sync", Sync).WithSummary("Read every template from the WABA (all pages); ones Meta no longer lists are marked deleted.");
        templates.MapPost("/", Create).WithSummary("Validate and submit a template {name, language, category, header?, body, bodySamples?, footer?, buttons?} for Meta's review.");
        templates.MapDelete("/{id:guid}", Delete).WithSummary("Delete the template at Meta and here.");
        return api;
    }

    private static TemplateResponse ToResponse(TemplateView v)
    {
        using var components = JsonDocument.Parse(v.ComponentsJson);
        return new(v.Id, v.Name, v.Language, v.Category.ToString().ToUpperInvariant(), ToWire(v.Status), components.RootElement.Clone(),
            v.RejectionReason, v.SyncedAt);
    }

    /// <summary>Meta's own spelling (IN_APPEAL), so integrators see what WhatsApp Manager shows.</summary>
    private static string ToWire(TemplateStatus s) =>
        string.Concat(s.ToString().Select((ch, i) => i > 0 && char.IsUpper(ch) ? "_" + ch : ch.ToString())).ToUpperInvariant();

    private static async Task<Results<Ok<TemplateList>, ProblemHttpResult>> List(string t, Guid c, string? status, ClaimsPrincipal caller,
        ContextScopes scopes, WhatsAppTemplates templates, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var items = await templates.ListAsync(tenant!.Id, c, string.Equals(status, "approved", StringComparison.OrdinalIgnoreCase), ct);
        return TypedResults.Ok(new TemplateList(items.Select(ToResponse).ToList()));
    }

    private static async Task<Results<Ok<TemplateSyncResponse>, ProblemHttpResult>> Sync(string t, Guid c, ClaimsPrincipal caller,
        ContextScopes scopes, WhatsAppTemplates templates, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        try
        {
            var result = await templates.SyncAsync(tenant!.Id, c, ct);
            return TypedResults.Ok(new TemplateSyncResponse(result.Listed, result.Deleted));
        }
        catch (TemplateProviderException refused)
        {
            return ProviderProblem(refused);
        }
    }

    private static async Task<Results<Created<TemplateResponse>, ProblemHttpResult>> Create(string t, Guid c, CreateTemplateRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, WhatsAppTemplates templates, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!Enum.TryParse<TemplateCategory>(body.Category, ignoreCase: true, out var category) || !Enum.IsDefined(category))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "template.category");
        var buttons = new List<TemplateButton>();
        foreach (var b in body.Buttons ?? [])
        {
            var kind = string.Equals(b.Type, "url", StringComparison.OrdinalIgnoreCase) ? TemplateButtonKind.Url : TemplateButtonKind.QuickReply;
            buttons.Add(new TemplateButton(kind, b.Text ?? "", b.Url));
        }
        var draft = new TemplateDraft(body.Name, body.Language, category, NullIfBlank(body.Header), body.Body, body.BodySamples, NullIfBlank(body.Footer), buttons);
        try
        {
            var created = await templates.CreateAsync(tenant!.Id, c, draft, ct);
            return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/channels/{c}/templates/{created.Id}", ToResponse(created));
        }
        catch (TemplateProviderException refused)
        {
            return ProviderProblem(refused);
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid c, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, WhatsAppTemplates templates, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        try
        {
            await templates.DeleteAsync(tenant!.Id, c, id, ct);
            return TypedResults.NoContent();
        }
        catch (TemplateProviderException refused)
        {
            return ProviderProblem(refused);
        }
    }

    private static ProblemHttpResult ProviderProblem(TemplateProviderException refused) =>
        ApiProblems.Of(refused.Unreachable ? StatusCodes.Status502BadGateway : StatusCodes.Status422UnprocessableEntity, "template.provider", refused.Message);

    private static string? NullIfBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}

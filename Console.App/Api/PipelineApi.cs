using System.Globalization;
using System.Security.Claims;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Inbox;
using OperatorConsole.Infrastructure.Pipeline;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record PipelineStageDto(Guid? Id, string? Name, string? Kind, string? Color);
public sealed record PipelineRequest(IReadOnlyList<PipelineStageDto>? Stages, IReadOnlyDictionary<Guid, Guid>? MoveTo);
public sealed record PipelineStageResponse(Guid Id, string Name, string Kind, string Color, int Leads);
public sealed record PipelineResponse(IReadOnlyList<PipelineStageResponse> Stages);

/// <summary>The tenant's pipeline stages, and the leads export.</summary>
public static class PipelineApi
{
    public static RouteGroupBuilder MapPipelineApi(this RouteGroupBuilder api)
    {
        var pipeline = api.MapGroup("/tenants/{t}/pipeline").WithTags("Pipeline");
        pipeline.MapGet("/", Get).WithSummary("The pipeline's stages in order {stages: [{id, name, kind: open|won|lost, color, leads}]}.");
        pipeline.MapPut("/", Put).WithSummary("Replace the stages {stages: [{id?, name, kind, color?}], moveTo?: {removedStageId: keptStageId}} in order; " +
            "a removed stage that holds leads needs a moveTo entry (409 otherwise); at least one open, one won and one lost stage (400 otherwise).");
        api.MapGet("/tenants/{t}/contacts/export.csv", Export).WithTags("Contacts")
            .WithSummary("The leads as CSV (header row first), filtered like the leads screen: stage (id or name), temperature, q, channel, owner, tag, field=key=value, created_from, created_to, active_from.");
        return api;
    }

    private static async Task<Results<Ok<PipelineResponse>, ProblemHttpResult>> Get(string t, ClaimsPrincipal caller, ContextScopes scopes,
        LeadPipeline pipeline, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(await ResponseAsync(tenant!.Id, pipeline, ct));
    }

    private static async Task<Results<Ok<PipelineResponse>, ProblemHttpResult>> Put(string t, PipelineRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, LeadPipeline pipeline, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var inputs = new List<StageInput>();
        foreach (var s in body.Stages ?? [])
        {
            if (!Enum.TryParse<StageKind>(s.Kind, true, out var kind) || !Enum.IsDefined(kind) || int.TryParse(s.Kind, out _))
                return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.stage_kind", s.Kind ?? "");
            inputs.Add(new StageInput(s.Id, s.Name ?? "", kind, s.Color));
        }
        try
        {
            await pipeline.SaveStagesAsync(tenant!.Id, inputs, body.MoveTo, new StageMover(caller.Identity?.Name is { Length: > 0 } n ? $"API ({n})" : "API"), ct);
        }
        catch (DomainException ex)
        {
            // Leads with nowhere to go conflict with the request; every other refusal is a bad request body.
            var status = ex.Code == "pipeline.move_required" ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest;
            return ApiProblems.Of(status, ex.Code, [.. ex.Args]);
        }
        return TypedResults.Ok(await ResponseAsync(tenant.Id, pipeline, ct));
    }

    private static async Task<PipelineResponse> ResponseAsync(Guid tenantId, LeadPipeline pipeline, CancellationToken ct)
    {
        var counts = await pipeline.CountsAsync(tenantId, ct);
        var stages = await pipeline.StagesAsync(tenantId, ct);
        return new PipelineResponse(stages.Select(s => new PipelineStageResponse(s.Id, s.Name, s.Kind.ToString().ToLowerInvariant(), s.Color,
            counts.GetValueOrDefault(s.Id))).ToList());
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> Export(string t, HttpContext http, ClaimsPrincipal caller,
        ContextScopes scopes, LeadPipeline pipeline, LeadQueries leads, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var query = http.Request.Query;
        var filter = LeadFilter.FromQuery(k => query[k].FirstOrDefault());
        if (query["stage"].FirstOrDefault() is { Length: > 0 } stage)
        {
            var (stageId, stageProblem) = await ConversationsApi.StageFilterAsync(pipeline, tenant!.Id, stage, ct);
            if (stageProblem is not null) return stageProblem;
            filter = filter with { StageId = stageId };
        }
        if (query["temperature"].FirstOrDefault() is { Length: > 0 } temperature && filter.Temperature is null)
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.temperature", "cold, warm, hot");
        await LeadCsv.WriteAsync(http, tenant!.Id, null, filter, null, pipeline, leads, ct);
        return TypedResults.Empty;
    }
}

/// <summary>
/// Streams leads as CSV (CsvHelper): rows go out as the database hands them over, so a 100,000-lead export never sits in
/// memory. Cells a spreadsheet would run as a formula (= + - @, and tab/CR that some treat the same) get a leading
/// apostrophe — a customer can type "=HYPERLINK(…)" as their name.
/// </summary>
public static class LeadCsv
{
    public static readonly string[] Header = ["id", "name", "phone", "email", "stage", "score", "temperature", "owner", "tags", "value", "created_at", "last_activity_at"];

    public static async Task WriteAsync(HttpContext http, Guid tenantId, Guid? memberId, LeadFilter filter, IReadOnlyCollection<Guid>? ids,
        LeadPipeline pipeline, LeadQueries leads, CancellationToken ct)
    {
        var stages = (await pipeline.StagesAsync(tenantId, ct)).ToDictionary(s => s.Id, s => s.Name);
        var members = (await http.RequestServices.GetRequiredService<InboxQueries>().MembersAsync(tenantId, ct)).ToDictionary(m => m.MemberId, m => m.Name);
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"leads-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv\"";
        http.Response.Headers.CacheControl = "private, no-store";
        await using var csv = CsvWriter.Create(http.Response.Body, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true);
        await csv.WriteRecordAsync(Header, ct);
        await foreach (var lead in leads.StreamAsync(tenantId, memberId, filter, ids, ct))
        {
            await csv.WriteRecordAsync(
            [
                lead.Id.ToString(), lead.Name, lead.PhoneE164, lead.Email, stages.GetValueOrDefault(lead.StageId),
                lead.Score.ToString(CultureInfo.InvariantCulture), lead.Temperature.ToString().ToLowerInvariant(),
                lead.OwnerMemberId is { } o ? members.GetValueOrDefault(o) : null, string.Join("; ", lead.Tags),
                lead.Value.ToString(CultureInfo.InvariantCulture),
                lead.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                lead.LastSeenAt?.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ], ct);
        }
        await csv.FlushAsync(ct);
    }

    /// <summary>The console's download link: the signed-in member's tenant and channels, the screen's filter from the query.</summary>
    public static WebApplication MapLeadExport(this WebApplication app)
    {
        app.MapGet("/leads/export.csv", async (HttpContext http, InboxQueries inbox, LeadPipeline pipeline, LeadQueries leads, CancellationToken ct) =>
        {
            if (http.User.GetTenantId() is not { } tenantId) return Results.NotFound();
            var me = (await inbox.MembersAsync(tenantId, ct)).FirstOrDefault(m => m.UserId == http.User.GetUserId());
            if (me is null) return Results.NotFound();
            var query = http.Request.Query;
            var ids = query["ids"].FirstOrDefault() is { Length: > 0 } list
                ? list.Split(',').Select(x => Guid.TryParse(x, out var g) ? g : Guid.Empty).Where(g => g != Guid.Empty).ToList()
                : null;
            await WriteAsync(http, tenantId, me.MemberId, LeadFilter.FromQuery(k => query[k].FirstOrDefault()), ids, pipeline, leads, ct);
            return Results.Empty;
        }).RequireAuthorization(Policies.Member).ExcludeFromDescription();
        return app;
    }
}

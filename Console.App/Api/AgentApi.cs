using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.App.Auth;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>One opening interval: {"day":"Monday","opens":"09:00","closes":"18:00"}.</summary>
public sealed record OpeningDto(string Day, string Opens, string Closes);
public sealed record ExampleDto(string? Customer, string? Agent);

/// <summary>The agent profile as the API shows it (interfaces.md), plus the extensions after <c>botEnabled</c>.</summary>
public sealed record AgentProfileDto(
    string? SystemPrompt, string? Tone, string? Model, double? Temperature, int? MaxTokens, int? BufferSeconds, string? TimeZone,
    IReadOnlyList<OpeningDto>? BusinessHours, IReadOnlyList<string>? EscalationKeywords, int? AutoEscalateAfterMessages,
    IReadOnlyList<ExampleDto>? FewShotExamples, bool? BotEnabled,
    string? OutOfHours = null, int? HighValueScore = null, IReadOnlyList<string>? LeadFields = null, int? AppointmentMinutes = null,
    string? HandoffNotifyNumber = null, int? Version = null, LeadScoringWeights? ScoringWeights = null);

/// <summary>A published version: who published it and when, and every setting it had.</summary>
public sealed record AgentVersionDto(int Number, DateTimeOffset PublishedAt, string? Author, bool Live, int? RestoredFrom,
    string SystemPrompt, string? Tone, string? Model, double Temperature, int MaxTokens, int BufferSeconds, string TimeZone,
    IReadOnlyList<OpeningDto> BusinessHours, string OutOfHours, IReadOnlyList<string> EscalationKeywords, int? AutoEscalateAfterMessages,
    int? HighValueScore, IReadOnlyList<ExampleDto> FewShotExamples, IReadOnlyList<string> LeadFields, LeadScoringWeights ScoringWeights,
    int AppointmentMinutes, string? HandoffNotifyNumber);

public sealed record AgentVersionList(IReadOnlyList<AgentVersionDto> Items);

public static class AgentApi
{
    public static RouteGroupBuilder MapAgentApi(this RouteGroupBuilder api)
    {
        var agent = api.MapGroup("/tenants/{t}/agent").WithTags("Agent");
        agent.MapGet("/", GetProfile).WithSummary("The live agent profile.");
        agent.MapPut("/", PutProfile).WithSummary("Change the live agent profile (a new version; fields left out keep their value).");
        agent.MapGet("/versions", ListVersions).WithSummary("Every published version of the agent, newest first, with its author.");
        agent.MapPost("/versions/{n:int}/restore", RestoreVersion)
            .WithSummary("Roll back: publish an exact copy of version n as the newest live version (the draft is kept).");
        return api;
    }

    private static AgentActor Actor(ClaimsPrincipal caller) => new(caller.GetUserId(), caller.Identity?.Name ?? "api");

    private static async Task<Results<Ok<AgentVersionList>, ProblemHttpResult>> ListVersions(string t, ClaimsPrincipal caller, ContextScopes scopes,
        AgentProfiles profiles, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var versions = await profiles.ListVersionsAsync(work.Db, tenant.Id, ct);
        return TypedResults.Ok(new AgentVersionList(versions.Select(ToDto).ToList()));
    }

    private static async Task<Results<Ok<AgentVersionDto>, ProblemHttpResult>> RestoreVersion(string t, int n, ClaimsPrincipal caller,
        ContextScopes scopes, AgentProfiles profiles, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        try
        {
            var restored = await profiles.RestoreAsync(work.Db, tenant.Id, n, Actor(caller), ct);
            return TypedResults.Ok(ToDto(new AgentVersion(restored.Version, restored.PublishedAt!.Value, restored.PublishedBy, true,
                restored.RestoredFrom, restored.Settings)));
        }
        catch (DomainException ex) when (ex.Code == "agent.version_not_found")
        {
            return ApiProblems.Of(StatusCodes.Status404NotFound, ex.Code, n);
        }
        catch (DomainException ex) when (ex.Code == "agent.restore_draft")
        {
            return ApiProblems.Of(StatusCodes.Status409Conflict, ex.Code);
        }
    }

    public static AgentVersionDto ToDto(AgentVersion v)
    {
        var s = v.Settings;
        return new(v.Number, v.PublishedAt, v.Author, v.Live, v.RestoredFrom, s.SystemPrompt, s.Tone, s.Model, s.Temperature, s.MaxTokens,
            s.BufferSeconds, s.TimeZone, Hours(s.BusinessHours), s.OutOfHours.ToString(), s.EscalationKeywords, s.AutoEscalateAfterMessages,
            s.HighValueScore, s.FewShotExamples.Select(e => new ExampleDto(e.Customer, e.Agent)).ToList(), s.LeadFields, s.ScoringWeights,
            s.AppointmentMinutes, s.HandoffNotifyNumber);
    }

    private static List<OpeningDto> Hours(BusinessHours hours) => hours.Intervals.Select(i => new OpeningDto(i.Day.ToString(),
        i.Opens.ToString("HH:mm", CultureInfo.InvariantCulture), i.Closes.ToString("HH:mm", CultureInfo.InvariantCulture))).ToList();

    private static async Task<Results<Ok<AgentProfileDto>, ProblemHttpResult>> GetProfile(string t, ClaimsPrincipal caller, ContextScopes scopes,
        AgentProfiles profiles, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var live = await profiles.GetLiveAsync(work.Db, tenant.Id, ct);
        return TypedResults.Ok(ToDto(live, tenant.BotEnabled));
    }

    private static async Task<Results<Ok<AgentProfileDto>, ProblemHttpResult>> PutProfile(string t, AgentProfileDto body, ClaimsPrincipal caller,
        ContextScopes scopes, AgentProfiles profiles, ModelAllowlist models, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!models.IsAllowed(body.Model))
            return ApiProblems.Of(StatusCodes.Status400BadRequest, "agent.model", body.Model!.Trim(), string.Join(", ", models.Allowed));
        await using var work = scopes.ForTenant(tenant!.Id);
        var live = await profiles.GetLiveAsync(work.Db, tenant.Id, ct);
        var (settings, error) = Merge(live.Settings, body);
        if (error is not null) return ApiProblems.Of(StatusCodes.Status400BadRequest, error.Value.Code, error.Value.Args);
        var next = await profiles.UpdateLiveAsync(work.Db, tenant.Id, settings!, ct, Actor(caller));
        var botEnabled = tenant.BotEnabled;
        if (body.BotEnabled is { } enabled && enabled != tenant.BotEnabled)
        {
            var row = await work.Db.Tenants.SingleAsync(x => x.Id == tenant.Id, ct);
            row.SetBotEnabled(enabled);
            await work.Db.SaveChangesAsync(ct);
            botEnabled = enabled;
        }
        return TypedResults.Ok(ToDto(next, botEnabled));
    }

    public static AgentProfileDto ToDto(AgentProfile p, bool botEnabled) => new(
        p.SystemPrompt, p.Tone, p.Model, p.Temperature, p.MaxTokens, p.BufferSeconds, p.TimeZone,
        Hours(p.BusinessHours),
        p.EscalationKeywords, p.AutoEscalateAfterMessages, p.FewShotExamples.Select(e => new ExampleDto(e.Customer, e.Agent)).ToList(), botEnabled,
        p.OutOfHours.ToString(), p.HighValueScore, p.LeadFields, p.AppointmentMinutes, p.HandoffNotifyNumber, p.Version, p.ScoringWeights);

    /// <summary>Fields present in the body replace the current ones; a malformed field is a 400 naming it.</summary>
    private static (AgentSettings? Settings, (string Code, object?[] Args)? Error) Merge(AgentSettings s, AgentProfileDto b)
    {
        var hours = s.BusinessHours;
        if (b.BusinessHours is { } list)
        {
            var intervals = new List<OpeningInterval>();
            foreach (var o in list)
            {
                if (!Enum.TryParse<DayOfWeek>(o.Day, true, out var day) || !Enum.IsDefined(day))
                    return (null, ("api.business_hours_day", [o.Day]));
                if (!TimeOnly.TryParseExact(o.Opens, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var opens)
                    || !TimeOnly.TryParseExact(o.Closes, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var closes))
                    return (null, ("api.business_hours_time", [o.Opens, o.Closes]));
                intervals.Add(new OpeningInterval(day, opens, closes));
            }
            hours = new BusinessHours(intervals);
        }
        var outOfHours = s.OutOfHours;
        if (b.OutOfHours is { } mode && !Enum.TryParse(mode, true, out outOfHours))
            return (null, ("api.out_of_hours", []));
        var examples = b.FewShotExamples?.Select(e => new FewShotExample(e.Customer ?? "", e.Agent ?? "")).ToList() ?? s.FewShotExamples;
        return (s with
        {
            SystemPrompt = b.SystemPrompt ?? s.SystemPrompt,
            Tone = b.Tone ?? s.Tone,
            Model = b.Model ?? s.Model,
            Temperature = b.Temperature ?? s.Temperature,
            MaxTokens = b.MaxTokens ?? s.MaxTokens,
            BufferSeconds = b.BufferSeconds ?? s.BufferSeconds,
            TimeZone = b.TimeZone ?? s.TimeZone,
            BusinessHours = hours,
            OutOfHours = outOfHours,
            EscalationKeywords = b.EscalationKeywords ?? s.EscalationKeywords,
            AutoEscalateAfterMessages = b.AutoEscalateAfterMessages ?? s.AutoEscalateAfterMessages,
            HighValueScore = b.HighValueScore ?? s.HighValueScore,
            FewShotExamples = examples,
            LeadFields = b.LeadFields ?? s.LeadFields,
            AppointmentMinutes = b.AppointmentMinutes ?? s.AppointmentMinutes,
            HandoffNotifyNumber = b.HandoffNotifyNumber ?? s.HandoffNotifyNumber,
            ScoringWeights = b.ScoringWeights ?? s.ScoringWeights,
        }, null);
    }
}

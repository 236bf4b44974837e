using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Infrastructure.Appointments;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>One resource as integrators send it: weekly {mon: [["09:00","13:00"], …], …}; weekly null follows the business hours.</summary>
public sealed record ResourceDto(Guid? Id, string? Name, Dictionary<string, List<List<string>>>? Weekly, int? SlotMinutes, int? BufferMinutes,
    int? LeadTimeHours, int? HorizonDays, List<string>? BlockedDates = null, bool IsDefault = false);

public sealed record AvailabilityDto(string? TimeZone, List<string>? BlockedDates, List<ResourceDto>? Resources);

public sealed record AppointmentDto(Guid Id, Guid ContactId, Guid ResourceId, Guid? ConversationId, DateTimeOffset Start, DateTimeOffset End,
    string Status, string? StatusChangedBy, DateTimeOffset? StatusChangedAt, string? Notes);

public sealed record AppointmentList(IReadOnlyList<AppointmentDto> Items);

public sealed record NewAppointmentRequest(Guid? ContactId, DateTimeOffset? Start, Guid? ResourceId, string? Notes);

public sealed record AppointmentPatch(DateTimeOffset? Start, string? Status, Guid? ResourceId);

public sealed record AppointmentCreated(Guid Id);

/// <summary>Availability (resources, weekly hours, holidays) and appointments, through <see cref="AppointmentCommands"/>.</summary>
public static class AppointmentsApi
{
    private static readonly string[] Days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public static RouteGroupBuilder MapAppointmentsApi(this RouteGroupBuilder api)
    {
        var availability = api.MapGroup("/tenants/{t}/availability").WithTags("Appointments");
        availability.MapGet("/", GetAvailability).WithSummary("{timeZone, blockedDates, resources: [{id, name, weekly, slotMinutes, bufferMinutes, leadTimeHours, horizonDays, blockedDates, isDefault}]}.");
        availability.MapPut("/", PutAvailability).WithSummary("Replace the availability; resources in order (left out = removed, 409 when it has appointments).");
        var appointments = api.MapGroup("/tenants/{t}/appointments").WithTags("Appointments");
        appointments.MapGet("/", List).WithSummary("Appointments overlapping [from, to) (ISO instants; default: the next 30 days), optionally of one resourceId.");
        appointments.MapPost("/", Create).WithSummary("{contactId, start, resourceId?, notes?} → 201 {id}; 409 problem with alternatives when the slot is taken or outside availability.");
        appointments.MapPatch("/{id:guid}", Patch).WithSummary("{start?, resourceId?, status?: confirmed|cancelled|completed|no_show}; a move re-checks availability (409 with alternatives).");
        return api;
    }

    /// <summary>The customer's public .ics link (signed token; anything else is 404).</summary>
    public static void MapAppointmentInvites(this IEndpointRouteBuilder app) =>
        app.MapGet("/invite/{id:guid}.ics", async (Guid id, string? t, AppointmentInvites invites, CancellationToken ct) =>
            await invites.IcsAsync(id, t, ct) is { } ics
                ? Results.Text(ics, "text/calendar; charset=utf-8")
                : Results.NotFound()).AllowAnonymous().ExcludeFromDescription();

    private static async Task<Results<Ok<AvailabilityDto>, ProblemHttpResult>> GetAvailability(string t, ClaimsPrincipal caller, ContextScopes scopes,
        AppointmentCommands commands, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(ToDto(await commands.AvailabilityAsync(tenant!.Id, ct)));
    }

    private static async Task<Results<Ok<AvailabilityDto>, ProblemHttpResult>> PutAvailability(string t, AvailabilityDto body, ClaimsPrincipal caller,
        ContextScopes scopes, AppointmentCommands commands, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var current = await commands.AvailabilityAsync(tenant!.Id, ct);
        var inputs = new List<AppointmentCommands.ResourceInput>();
        foreach (var r in body.Resources ?? [])
        {
            var known = r.Id is { } id ? current.Resources.FirstOrDefault(x => x.Id == id) : null;
            if (!TryWeekly(r.Weekly, out var weekly, out var bad)) return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.weekly", bad);
            if (!TryDates(r.BlockedDates, out var blocked, out bad)) return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.date", bad);
            inputs.Add(new(r.Id, r.Name ?? known?.Name ?? "", weekly, r.SlotMinutes ?? known?.SlotMinutes ?? 30, r.BufferMinutes ?? known?.BufferMinutes ?? 0,
                r.LeadTimeHours ?? known?.LeadTimeHours ?? 0, r.HorizonDays ?? known?.HorizonDays ?? 90, r.BlockedDates is null ? known?.BlockedDates ?? [] : blocked));
        }
        if (!TryDates(body.BlockedDates, out var tenantBlocked, out var badDate)) return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.date", badDate);
        var saved = await commands.SaveAvailabilityAsync(tenant.Id, body.TimeZone ?? current.TimeZone,
            body.BlockedDates is null ? current.Settings.BlockedDates : tenantBlocked,
            body.Resources is null ? current.Resources.Select(Keep).ToList() : inputs, ct);
        return TypedResults.Ok(ToDto(saved));
    }

    private static AppointmentCommands.ResourceInput Keep(BookableResource r) =>
        new(r.Id, r.Name, r.Weekly, r.SlotMinutes, r.BufferMinutes, r.LeadTimeHours, r.HorizonDays, r.BlockedDates);

    private static async Task<Results<Ok<AppointmentList>, ProblemHttpResult>> List(string t, DateTimeOffset? from, DateTimeOffset? to, Guid? resourceId,
        ClaimsPrincipal caller, ContextScopes scopes, AppointmentCommands commands, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var start = from ?? clock.GetUtcNow();
        var end = to ?? start.AddDays(30);
        var items = await commands.ListAsync(tenant!.Id, start, end, resourceId, ct);
        return TypedResults.Ok(new AppointmentList(items.Select(ToDto).ToList()));
    }

    private static async Task<Results<Created<AppointmentCreated>, ProblemHttpResult>> Create(string t, NewAppointmentRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, AppointmentCommands commands, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (body.ContactId is not { } contactId) return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.required", "contactId");
        if (body.Start is not { } start) return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.required", "start");
        try
        {
            var appointment = await commands.BookAsync(tenant!.Id, contactId, start, body.ResourceId, null, null, null, body.Notes,
                AppointmentActor.Api(caller.Identity?.Name), ct);
            return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/appointments/{appointment.Id}", new AppointmentCreated(appointment.Id));
        }
        catch (SlotUnavailableException ex)
        {
            return Unavailable(ex);
        }
    }

    private static async Task<Results<Ok<AppointmentDto>, ProblemHttpResult>> Patch(string t, Guid id, AppointmentPatch body, ClaimsPrincipal caller,
        ContextScopes scopes, AppointmentCommands commands, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var by = AppointmentActor.Api(caller.Identity?.Name);
        AppointmentStatus? status = null;
        if (body.Status is { } s)
        {
            status = ParseStatus(s);
            if (status is null or AppointmentStatus.Pending) return ApiProblems.Of(StatusCodes.Status400BadRequest, "api.appointment_status", s);
        }
        try
        {
            if (body.Start is { } start || body.ResourceId is not null)
            {
                var current = (await commands.GetAsync(tenant!.Id, id, ct)) ?? throw new DomainException("appointment.not_found", "No such appointment.", id);
                await commands.MoveAsync(tenant.Id, id, body.Start ?? current.StartsAt, body.ResourceId, by, ct);
            }
            if (status is { } to) await commands.ChangeStatusAsync(tenant!.Id, id, to, by, ct);
        }
        catch (SlotUnavailableException ex)
        {
            return Unavailable(ex);
        }
        var after = await commands.GetAsync(tenant!.Id, id, ct) ?? throw new DomainException("appointment.not_found", "No such appointment.", id);
        return TypedResults.Ok(ToDto(after));
    }

    /// <summary>409 naming why (taken / outside availability) and the free slots nearest to the one asked for.</summary>
    private static ProblemHttpResult Unavailable(SlotUnavailableException ex)
    {
        var extensions = ApiProblems.Coded(ex.Code);
        extensions["alternatives"] = ex.Alternatives.Select(a => a.ToString("O", CultureInfo.InvariantCulture)).ToList();
        return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, extensions: extensions);
    }

    public static AppointmentStatus? ParseStatus(string s) => s.Trim().ToLowerInvariant() switch
    {
        "pending" => AppointmentStatus.Pending,
        "confirmed" => AppointmentStatus.Confirmed,
        "cancelled" or "canceled" => AppointmentStatus.Cancelled,
        "completed" => AppointmentStatus.Completed,
        "no_show" or "noshow" or "no-show" => AppointmentStatus.NoShow,
        _ => null,
    };

    private static AppointmentDto ToDto(Appointment a) => new(a.Id, a.ContactId, a.ResourceId, a.ConversationId, a.StartsAt, a.EndsAt,
        AppointmentCommands.Wire(a.Status), a.StatusChangedBy, a.StatusChangedAt, a.Notes);

    private static AvailabilityDto ToDto(AvailabilityView v) => new(v.TimeZone, v.Settings.BlockedDates.Select(Date).ToList(),
        v.Resources.Select(r => new ResourceDto(r.Id, r.Name, r.Weekly is null ? null : Weekly(r.Weekly), r.SlotMinutes, r.BufferMinutes,
            r.LeadTimeHours, r.HorizonDays, r.BlockedDates.Select(Date).ToList(), r.IsDefault)).ToList());

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static Dictionary<string, List<List<string>>> Weekly(BusinessHours h)
    {
        var map = new Dictionary<string, List<List<string>>>();
        foreach (var day in new[] { 1, 2, 3, 4, 5, 6, 0 })
            map[Days[day]] = h.Intervals.Where(i => (int)i.Day == day)
                .Select(i => new List<string> { i.Opens.ToString("HH:mm", CultureInfo.InvariantCulture), i.Closes.ToString("HH:mm", CultureInfo.InvariantCulture) }).ToList();
        return map;
    }

    private static bool TryWeekly(Dictionary<string, List<List<string>>>? weekly, out BusinessHours? hours, out string bad)
    {
        hours = null;
        bad = "";
        if (weekly is null) return true;
        var intervals = new List<OpeningInterval>();
        foreach (var (key, ranges) in weekly)
        {
            var day = Array.IndexOf(Days, key.Trim().ToLowerInvariant()[..Math.Min(3, key.Trim().Length)]);
            if (day < 0) { bad = key; return false; }
            foreach (var range in ranges ?? [])
            {
                if (range is not [var a, var b] || !TimeOnly.TryParseExact(a, "HH:mm", out var opens) || !TimeOnly.TryParseExact(b, "HH:mm", out var closes))
                {
                    bad = $"{key}: {string.Join("-", range ?? [])}";
                    return false;
                }
                intervals.Add(new OpeningInterval((DayOfWeek)day, opens, closes));
            }
        }
        // An empty week is a resource that takes no bookings (null, not an empty week, follows the business hours).
        hours = new BusinessHours(intervals);
        return true;
    }

    private static bool TryDates(List<string>? dates, out List<DateOnly> parsed, out string bad)
    {
        parsed = [];
        bad = "";
        foreach (var d in dates ?? [])
        {
            if (!DateOnly.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)) { bad = d; return false; }
            parsed.Add(day);
        }
        return true;
    }
}

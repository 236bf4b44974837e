using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Appointments;

/// <summary>Who changes an appointment. Customers (and the agent for them) get lead time and horizon; operators do not.</summary>
public sealed record AppointmentActor(string Name, bool AsCustomer)
{
    public static readonly AppointmentActor Agent = new("agent", true);
    public static readonly AppointmentActor Customer = new("customer", true);
    public static AppointmentActor Api(string? name) => new(name is { Length: > 0 } n ? $"API ({n})" : "API", false);
    public static AppointmentActor Operator(string name) => new(name, false);
}

/// <summary>
/// The slot asked for cannot be had: taken (by another booking, possibly one that won a race a moment ago) or
/// outside the resource's availability. Carries free alternatives so every caller can offer them at once.
/// </summary>
public sealed class SlotUnavailableException(string code, string message, IReadOnlyList<DateTimeOffset> alternatives) : Exception(message)
{
    public string Code { get; } = code;
    public IReadOnlyList<DateTimeOffset> Alternatives { get; } = alternatives;
}

public sealed record AvailabilityView(AvailabilitySettings Settings, IReadOnlyList<BookableResource> Resources, BusinessHours BusinessHours, string TimeZone)
{
    public TimeZoneInfo Zone { get; } = TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}

/// <summary>
/// Every appointment change, whoever makes it (an operator in the calendar, the REST API, the agent): availability is
/// checked first so a refusal can say why, and the exclusion constraint decides races — a 23P01 becomes
/// <see cref="SlotUnavailableException"/> with alternatives. Each change writes its conversation timeline line and raises
/// its domain event in the same SaveChanges (reminders and outbound webhooks hang off those).
/// </summary>
public sealed class AppointmentCommands(ContextScopes scopes, AgentProfiles profiles, TimeProvider clock)
{
    public const string SlotTaken = "appointment.slot_taken";
    public const string OutsideAvailability = "appointment.outside_availability";

    // ── availability ────────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>
    /// The tenant's availability, creating the settings row and the default resource on first use (a new workspace's
    /// default resource starts with the agent's appointment length, whatever the owner set it to before the first booking).
    /// </summary>
    public async Task<AvailabilityView> AvailabilityAsync(Guid tenantId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await AvailabilityAsync(work.Db, tenantId, ct);
    }

    private async Task<AvailabilityView> AvailabilityAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var profile = await profiles.GetLiveAsync(db, tenantId, ct);
        // Concurrent first uses (two nodes, twenty parallel bookings) race on the primary key / one-default index, not a lookup.
        var now = clock.GetUtcNow();
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO availability_settings (tenant_id, blocked_dates) VALUES ({tenantId}, ARRAY[]::date[])
            ON CONFLICT DO NOTHING
            """, ct);
        var resourceId = Guid.CreateVersion7(now);
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO bookable_resources (id, tenant_id, name, is_default, position, weekly, slot_minutes, buffer_minutes, lead_time_hours, horizon_days, blocked_dates, created_at)
            SELECT {resourceId}, {tenantId}, {DefaultResourceName}, true, 0, NULL, {profile.AppointmentMinutes}, 0, 0, 90, ARRAY[]::date[], {now}
            WHERE NOT EXISTS (SELECT 1 FROM bookable_resources WHERE tenant_id = {tenantId} AND is_default)
            ON CONFLICT DO NOTHING
            """, ct);
        var settings = await db.AvailabilitySettings.SingleAsync(ct);
        var resources = await db.BookableResources.OrderBy(r => r.Position).ThenBy(r => r.Name).ToListAsync(ct);
        return new AvailabilityView(settings, resources, profile.BusinessHours, profile.TimeZone);
    }

    /// <summary>The default resource's name until the owner renames it (the same word in Spanish and English).</summary>
    public const string DefaultResourceName = "Agenda";

    public sealed record ResourceInput(Guid? Id, string Name, BusinessHours? Weekly, int SlotMinutes, int BufferMinutes, int LeadTimeHours, int HorizonDays, IReadOnlyList<DateOnly> BlockedDates);

    /// <summary>
    /// Replaces the availability: resources in order (the first is the default when none of the given ids is);
    /// a resource left out is removed unless it holds upcoming bookings (then 409-style <see cref="ConflictException"/>).
    /// </summary>
    public async Task<AvailabilityView> SaveAvailabilityAsync(Guid tenantId, string timeZone, IReadOnlyList<DateOnly> blocked,
        IReadOnlyList<ResourceInput> resources, CancellationToken ct)
    {
        if (resources.Count == 0) throw new DomainException("availability.no_resource", "At least one resource is needed.");
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        if (string.IsNullOrWhiteSpace(timeZone) || !TimeZoneInfo.TryFindSystemTimeZoneById(timeZone.Trim(), out _))
            throw new DomainException("agent.time_zone", $"Unknown time zone '{timeZone}' (use an IANA name such as America/Bogota).", timeZone ?? "");
        var live = await profiles.GetLiveAsync(db, tenantId, ct);
        // The workspace has one clock: a new zone is a new live agent profile version (business hours follow it too).
        if (live.TimeZone != timeZone.Trim())
            await profiles.UpdateLiveAsync(db, tenantId, live.Settings with { TimeZone = timeZone.Trim() }, ct);
        var view = await AvailabilityAsync(db, tenantId, ct);
        view.Settings.Update(blocked);
        var now = clock.GetUtcNow();
        var existing = view.Resources.ToDictionary(r => r.Id);
        var kept = new List<BookableResource>();
        for (var i = 0; i < resources.Count; i++)
        {
            var input = resources[i];
            BookableResource r;
            if (input.Id is { } id)
            {
                if (!existing.TryGetValue(id, out r!)) throw new DomainException("resource.not_found", "No such resource.", id);
            }
            else
            {
                r = BookableResource.Create(tenantId, input.Name, false, i, input.SlotMinutes, now);
                db.BookableResources.Add(r);
            }
            r.Update(input.Name, input.Weekly, input.SlotMinutes, input.BufferMinutes, input.LeadTimeHours, input.HorizonDays, input.BlockedDates);
            r.MoveTo(i);
            kept.Add(r);
        }
        foreach (var gone in view.Resources.Where(r => !kept.Contains(r)))
        {
            var busy = await db.Appointments.AnyAsync(a => a.ResourceId == gone.Id, ct);
            if (busy) throw new Tenants.ConflictException("resource.has_appointments", $"'{gone.Name}' has appointments; it cannot be removed.", gone.Name);
            db.BookableResources.Remove(gone);
        }
        // The default moves to the first resource when the old default was removed.
        if (!kept.Any(r => r.IsDefault)) kept[0].MakeDefault();
        try { await db.SaveChangesAsync(ct); }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new Tenants.ConflictException("resource.name_taken", "Two resources have the same name.");
        }
        return await AvailabilityAsync(db, tenantId, ct);
    }

    /// <summary>Free slots of a resource (the default when null) between two local dates.</summary>
    public async Task<IReadOnlyList<DateTimeOffset>> FreeSlotsAsync(Guid tenantId, Guid? resourceId, DateOnly from, DateOnly to,
        bool asCustomer, CancellationToken ct, int max = 40)
    {
        await using var work = scopes.ForTenant(tenantId);
        var view = await AvailabilityAsync(work.Db, tenantId, ct);
        var resource = Pick(view, resourceId);
        return await FreeSlotsAsync(work.Db, view, resource, from, to, asCustomer, null, max, ct);
    }

    public async Task<(TimeZoneInfo Zone, int SlotMinutes)> DefaultsAsync(Guid tenantId, CancellationToken ct)
    {
        var view = await AvailabilityAsync(tenantId, ct);
        return (view.Zone, Pick(view, null).SlotMinutes);
    }

    private async Task<IReadOnlyList<DateTimeOffset>> FreeSlotsAsync(AppDbContext db, AvailabilityView view, BookableResource resource,
        DateOnly from, DateOnly to, bool asCustomer, Guid? except, int max, CancellationToken ct)
    {
        var zone = view.Zone;
        var start = Local(from, zone);
        var end = Local(to.AddDays(1), zone);
        var rules = Rules(view, resource, asCustomer);
        var booked = await db.Appointments
            .Where(a => a.ResourceId == resource.Id && a.Id != except && Appointment.ActiveStatuses.Contains(a.Status)
                && a.StartsAt < end + rules.Buffer && a.EndsAt > start - rules.Buffer)
            .Select(a => new { a.StartsAt, a.EndsAt }).ToListAsync(ct);
        return Availability.FreeSlots(rules, zone, from, to, booked.Select(b => (b.StartsAt, b.EndsAt)).ToList(), clock.GetUtcNow(), max);
    }

    private static DateTimeOffset Local(DateOnly day, TimeZoneInfo zone)
    {
        var t = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(t, zone.GetUtcOffset(t)).ToUniversalTime();
    }

    private static AvailabilityRules Rules(AvailabilityView view, BookableResource resource, bool asCustomer)
    {
        var rules = resource.Rules(view.BusinessHours, view.Settings.BlockedDates);
        return asCustomer ? rules : rules.ForOperator();
    }

    private static BookableResource Pick(AvailabilityView view, Guid? resourceId) => resourceId is { } id
        ? view.Resources.SingleOrDefault(r => r.Id == id) ?? throw new DomainException("resource.not_found", "No such resource.", id)
        : view.Resources.Single(r => r.IsDefault);

    // ── changes ─────────────────────────────────────────────────────────────────────────────────────────────────────

    public async Task<Appointment> BookAsync(Guid tenantId, Guid contactId, DateTimeOffset start, Guid? resourceId, Guid? conversationId,
        string? name, string? email, string? notes, AppointmentActor by, CancellationToken ct)
    {
        start = start.ToUniversalTime();
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var view = await AvailabilityAsync(db, tenantId, ct);
        var resource = Pick(view, resourceId);
        if (!await db.Contacts.AnyAsync(c => c.Id == contactId, ct)) throw new DomainException("contact.not_found", "No such contact.", contactId);
        await EnsureFreeAsync(db, view, resource, start, by, null, ct);
        var now = clock.GetUtcNow();
        var appointment = Appointment.Book(tenantId, contactId, resource.Id, conversationId, start, TimeSpan.FromMinutes(resource.SlotMinutes),
            name, email, notes, now);
        db.Appointments.Add(appointment);
        db.Raise(new AppointmentBooked(tenantId, appointment.Id, contactId, conversationId, appointment.StartsAt, appointment.EndsAt));
        await TimelineAsync(db, appointment, view, $"Appointment booked by {by.Name} for {{0}} ({resource.Name})", ct);
        await SaveAsync(db, view, resource, start, by, appointment.Id, ct);
        return appointment;
    }

    /// <summary>Moves an active appointment (optionally to another resource); it is pending again until the customer confirms.</summary>
    public async Task<Appointment> MoveAsync(Guid tenantId, Guid appointmentId, DateTimeOffset start, Guid? resourceId, AppointmentActor by, CancellationToken ct)
    {
        start = start.ToUniversalTime();
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var view = await AvailabilityAsync(db, tenantId, ct);
        var appointment = await FindAsync(db, appointmentId, ct);
        var resource = Pick(view, resourceId ?? appointment.ResourceId);
        if (appointment.StartsAt == start && appointment.ResourceId == resource.Id) return appointment;
        await EnsureFreeAsync(db, view, resource, start, by, appointment.Id, ct);
        var from = appointment.StartsAt;
        appointment.Reschedule(start, TimeSpan.FromMinutes(resource.SlotMinutes), by.Name, clock.GetUtcNow(), resource.Id);
        db.Raise(new AppointmentMoved(tenantId, appointment.Id, appointment.ContactId, appointment.ConversationId, from, appointment.StartsAt,
            appointment.EndsAt, by.Name));
        await TimelineAsync(db, appointment, view, $"Appointment moved by {by.Name} to {{0}} ({resource.Name})", ct);
        await SaveAsync(db, view, resource, start, by, appointment.Id, ct);
        return appointment;
    }

    /// <summary>Confirm, cancel, complete or no-show. False when it already had that status (nothing raised).</summary>
    public async Task<bool> ChangeStatusAsync(Guid tenantId, Guid appointmentId, AppointmentStatus to, AppointmentActor by, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var db = work.Db;
        var appointment = await FindAsync(db, appointmentId, ct);
        var before = appointment.Status;
        var now = clock.GetUtcNow();
        var changed = to switch
        {
            AppointmentStatus.Confirmed => appointment.Confirm(by.Name, now),
            AppointmentStatus.Cancelled => appointment.Cancel(by.Name, now),
            AppointmentStatus.Completed => appointment.Complete(by.Name, now),
            AppointmentStatus.NoShow => appointment.MarkNoShow(by.Name, now),
            _ => throw new DomainException("appointment.status", "That status cannot be set directly.", to.ToString()),
        };
        if (!changed) return false;
        db.Raise(to == AppointmentStatus.Cancelled
            ? new AppointmentCancelled(tenantId, appointment.Id, appointment.ContactId, appointment.ConversationId, appointment.StartsAt, by.Name)
            : new AppointmentStatusChanged(tenantId, appointment.Id, appointment.ContactId, appointment.ConversationId, appointment.StartsAt,
                Wire(before), Wire(to), by.Name));
        var view = await AvailabilityAsync(db, tenantId, ct);
        await TimelineAsync(db, appointment, view, $"Appointment of {{0}} {Wire(to).Replace('_', '-')} by {by.Name}", ct);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Active and past appointments overlapping [from, to), for the calendar and the API.</summary>
    public async Task<IReadOnlyList<Appointment>> ListAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, Guid? resourceId, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        var (f, t) = (from.ToUniversalTime(), to.ToUniversalTime());
        return await work.Db.Appointments.AsNoTracking()
            .Where(a => a.StartsAt < t && a.EndsAt > f && (resourceId == null || a.ResourceId == resourceId))
            .OrderBy(a => a.StartsAt).Take(2_000).ToListAsync(ct);
    }

    public async Task<Appointment?> GetAsync(Guid tenantId, Guid id, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Appointments.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, ct);
    }

    /// <summary>lowercase with underscores, as the API and events name statuses.</summary>
    public static string Wire(AppointmentStatus s) => s == AppointmentStatus.NoShow ? "no_show" : s.ToString().ToLowerInvariant();

    private static async Task<Appointment> FindAsync(AppDbContext db, Guid id, CancellationToken ct) =>
        await db.Appointments.SingleOrDefaultAsync(a => a.Id == id, ct)
        ?? throw new DomainException("appointment.not_found", "No such appointment.", id);

    private async Task EnsureFreeAsync(AppDbContext db, AvailabilityView view, BookableResource resource, DateTimeOffset start,
        AppointmentActor by, Guid? except, CancellationToken ct)
    {
        var zone = view.Zone;
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, zone).DateTime);
        var free = await FreeSlotsAsync(db, view, resource, day, day, by.AsCustomer, except, 1_000, ct);
        if (free.Contains(start)) return;
        // Taken when the slot exists in the rules but someone holds it; outside availability otherwise.
        var open = Availability.FreeSlots(Rules(view, resource, by.AsCustomer), zone, day, day, [], clock.GetUtcNow(), 1_000);
        var code = open.Contains(start) ? SlotTaken : OutsideAvailability;
        throw new SlotUnavailableException(code, code == SlotTaken ? "That slot is already taken." : "That time is outside the availability.",
            await AlternativesAsync(db, view, resource, start, by, except, ct));
    }

    private async Task SaveAsync(AppDbContext db, AvailabilityView view, BookableResource resource, DateTimeOffset start,
        AppointmentActor by, Guid? except, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (Exception ex) when (ex is DbUpdateException u && u.IsExclusionViolation() || DbErrors.IsDeadlock(ex))
        {
            // Another booking won the race between our check and our insert: the database has the last word. Parallel
            // inserts for one slot can also end in a deadlock between their exclusion checks; the survivor holds the slot.
            db.ChangeTracker.Clear();
            throw new SlotUnavailableException(SlotTaken, "That slot is already taken.", await AlternativesAsync(db, view, resource, start, by, except, ct));
        }
    }

    /// <summary>Up to five free slots nearest after the asked time (the same day first, then the next two weeks).</summary>
    private async Task<IReadOnlyList<DateTimeOffset>> AlternativesAsync(AppDbContext db, AvailabilityView view, BookableResource resource,
        DateTimeOffset start, AppointmentActor by, Guid? except, CancellationToken ct)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(start, view.Zone).DateTime);
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(clock.GetUtcNow(), view.Zone).DateTime);
        if (day < today) day = today;
        var slots = await FreeSlotsAsync(db, view, resource, day, day.AddDays(14), by.AsCustomer, except, 200, ct);
        return slots.Where(s => s > start).Concat(slots.Where(s => s < start).Reverse()).Take(5).Order().ToList();
    }

    private async Task TimelineAsync(AppDbContext db, Appointment appointment, AvailabilityView view, string format, CancellationToken ct)
    {
        if (appointment.ConversationId is not { } conversationId) return;
        var conversation = await db.Conversations.SingleOrDefaultAsync(c => c.Id == conversationId, ct);
        if (conversation is null) return;
        var local = TimeZoneInfo.ConvertTime(appointment.StartsAt, view.Zone);
        // The start travels as an instant: each reader sees it in the workspace's zone and their own date format.
        db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AppointmentBooked, null,
            string.Format(CultureInfo.InvariantCulture, format, local.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)),
            JsonSerializer.Serialize(new { start = appointment.StartsAt.ToString("O", CultureInfo.InvariantCulture), appointmentId = appointment.Id,
                status = Wire(appointment.Status) }),
            clock.GetUtcNow()));
    }
}

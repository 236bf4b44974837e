using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Appointments;
using OperatorConsole.Tests.Live;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Appointments;

/// <summary>Availability and appointment changes through the REST API and <see cref="AppointmentCommands"/> — real PostgreSQL, real HTTP.</summary>
public class AppointmentCommandsTests(RecordingEventsApp app) : IClassFixture<RecordingEventsApp>
{
    private static readonly TimeZoneInfo Mexico = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private Task<HttpClient> TenantKeyAsync(Guid tenantId) => app.TenantApiAsync(tenantId, "appointments");

    private AppointmentCommands Commands => app.Services.GetRequiredService<AppointmentCommands>();

    /// <summary>Open every day 09:00–18:00 in Mexico City, hour slots, no lead time.</summary>
    private static object EveryDay(string name, Guid? id = null) => new
    {
        id,
        name,
        weekly = new[] { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }.ToDictionary(d => d, _ => new[] { new[] { "09:00", "18:00" } }),
        slotMinutes = 60,
        bufferMinutes = 0,
        leadTimeHours = 0,
        horizonDays = 60,
    };

    /// <summary>A local time some days ahead in Mexico City (no daylight saving there).</summary>
    private static DateTimeOffset InDays(int days, int hour)
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Mexico).DateTime);
        var local = today.AddDays(days).ToDateTime(new TimeOnly(hour, 0));
        return new DateTimeOffset(local, Mexico.GetUtcOffset(local));
    }

    private async Task<(HttpClient Api, Guid TenantId, Guid Resource)> WorkspaceAsync()
    {
        // Twenty customers on twenty numbers: more channels than a paid plan connects.
        var tenant = await app.TenantAsync(plan: OperatorConsole.Domain.Tenants.Plan.Enterprise);
        var api = await TenantKeyAsync(tenant.Id);
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenant.Id}/availability",
            new { timeZone = "America/Mexico_City", blockedDates = Array.Empty<string>(), resources = new[] { EveryDay("Dra. Ruiz") } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var resource = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resources")[0].GetProperty("id").GetGuid();
        return (api, tenant.Id, resource);
    }

    [Fact]
    public async Task Twenty_parallel_bookings_of_one_slot_book_one_and_tell_nineteen_the_slot_is_taken_with_alternatives()
    {
        var (api, tenantId, _) = await WorkspaceAsync();
        var contacts = new List<Guid>();
        for (var i = 0; i < 20; i++) contacts.Add((await app.ConversationAsync(tenantId, $"Cliente {i}", "Hola", customerId: ChannelData.NewExternalId())).ContactId);
        var slot = InDays(3, 10);

        var responses = await Task.WhenAll(contacts.Select(c =>
            api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments", new { contactId = c, start = slot })));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(19, refused.Count);
        foreach (var r in refused)
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            var problem = await r.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal(AppointmentCommands.SlotTaken, problem.GetProperty("code").GetString());
            Assert.Contains("taken", problem.GetProperty("detail").GetString());
            var alternatives = problem.GetProperty("alternatives").EnumerateArray().Select(a => a.GetDateTimeOffset()).ToList();
            Assert.NotEmpty(alternatives);
            Assert.DoesNotContain(slot, alternatives);
            Assert.Contains(slot.AddHours(1), alternatives);
        }
        await using var work = app.Scopes.ForTenant(tenantId);
        Assert.Equal(1, await work.Db.Appointments.CountAsync(a => a.StartsAt == slot.ToUniversalTime()));
        await Eventually.TrueAsync(() => Task.FromResult(app.Recorded.All<AppointmentBooked>().Any(e => e.TenantId == tenantId)), "the booking event");
        Assert.Single(app.Recorded.All<AppointmentBooked>(), e => e.TenantId == tenantId);
    }

    [Fact]
    public async Task Availability_round_trips_and_a_booking_on_a_holiday_or_outside_the_hours_is_refused_with_alternatives()
    {
        var (api, tenantId, resource) = await WorkspaceAsync();
        var holiday = InDays(4, 10);
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenantId}/availability", new
        {
            timeZone = "America/Mexico_City",
            blockedDates = new[] { holiday.ToString("yyyy-MM-dd") },
            resources = new[] { EveryDay("Dra. Ruiz", resource), EveryDay("Sillón 2") },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var got = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantId}/availability");
        Assert.Equal("America/Mexico_City", got.GetProperty("timeZone").GetString());
        Assert.Equal([holiday.ToString("yyyy-MM-dd")], got.GetProperty("blockedDates").EnumerateArray().Select(d => d.GetString()!).ToArray());
        var resources = got.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(["Dra. Ruiz", "Sillón 2"], resources.Select(r => r.GetProperty("name").GetString()!).ToArray());
        Assert.Equal(resource, resources[0].GetProperty("id").GetGuid());
        Assert.Equal([["09:00", "18:00"]], resources[1].GetProperty("weekly").GetProperty("wed").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(x => x.GetString()!).ToArray()).ToArray());

        var contact = (await app.ConversationAsync(tenantId, "Ana", "Hola", customerId: ChannelData.NewExternalId())).ContactId;
        var onHoliday = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments", new { contactId = contact, start = holiday });
        Assert.Equal(HttpStatusCode.Conflict, onHoliday.StatusCode);
        var problem = await onHoliday.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(AppointmentCommands.OutsideAvailability, problem.GetProperty("code").GetString());
        Assert.Contains(InDays(5, 9), problem.GetProperty("alternatives").EnumerateArray().Select(a => a.GetDateTimeOffset()));

        var atNight = await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments", new { contactId = contact, start = InDays(3, 20) });
        Assert.Equal(HttpStatusCode.Conflict, atNight.StatusCode);
    }

    [Fact]
    public async Task Two_resources_hold_the_same_time_but_one_resource_never_twice()
    {
        var (api, tenantId, first) = await WorkspaceAsync();
        var put = await api.PutAsJsonAsync($"/api/v1/tenants/{tenantId}/availability",
            new { resources = new[] { EveryDay("Dra. Ruiz", first), EveryDay("Dr. Soto") } });
        var second = (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("resources")[1].GetProperty("id").GetGuid();
        var ana = (await app.ConversationAsync(tenantId, "Ana", "Hola", customerId: ChannelData.NewExternalId())).ContactId;
        var luis = (await app.ConversationAsync(tenantId, "Luis", "Hola", customerId: ChannelData.NewExternalId())).ContactId;
        var slot = InDays(2, 11);

        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments", new { contactId = ana, start = slot, resourceId = first })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments", new { contactId = luis, start = slot, resourceId = second })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments", new { contactId = luis, start = slot, resourceId = first })).StatusCode);

        var listed = await api.GetFromJsonAsync<JsonElement>($"/api/v1/tenants/{tenantId}/appointments?from={Uri.EscapeDataString(slot.AddHours(-1).ToString("O"))}&to={Uri.EscapeDataString(slot.AddHours(2).ToString("O"))}");
        var items = listed.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("pending", i.GetProperty("status").GetString()));
        Assert.Equal(new[] { first, second }.Order(), items.Select(i => i.GetProperty("resourceId").GetGuid()).Order());
    }

    [Fact]
    public async Task A_move_rechecks_availability_and_every_change_raises_its_event_and_writes_the_timeline()
    {
        var (api, tenantId, _) = await WorkspaceAsync();
        var conversation = await app.ConversationAsync(tenantId, "Ana", "Hola", customerId: ChannelData.NewExternalId());
        var other = (await app.ConversationAsync(tenantId, "Luis", "Hola", customerId: ChannelData.NewExternalId())).ContactId;
        var booked = await Commands.BookAsync(tenantId, conversation.ContactId, InDays(3, 10), null, conversation.Id, "Ana", null, null,
            AppointmentActor.Operator("Olga"), default);
        await Commands.BookAsync(tenantId, other, InDays(3, 12), null, null, null, null, null, AppointmentActor.Operator("Olga"), default);

        // Onto Luis's slot: refused with alternatives; then to a free one through the API.
        var onto = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments/{booked.Id}", new { start = InDays(3, 12) });
        Assert.Equal(HttpStatusCode.Conflict, onto.StatusCode);
        var moved = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments/{booked.Id}", new { start = InDays(3, 15) });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal(InDays(3, 15), (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("start").GetDateTimeOffset());

        Assert.True(await Commands.ChangeStatusAsync(tenantId, booked.Id, AppointmentStatus.Confirmed, AppointmentActor.Customer, default));
        var cancelled = await api.PatchAsJsonAsync($"/api/v1/tenants/{tenantId}/appointments/{booked.Id}", new { status = "cancelled" });
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        // The freed slot can be booked again.
        await Commands.BookAsync(tenantId, other, InDays(3, 15), null, null, null, null, null, AppointmentActor.Operator("Olga"), default);

        await Eventually.TrueAsync(() => Task.FromResult(app.Recorded.All<AppointmentCancelled>().Any(e => e.AppointmentId == booked.Id)), "the cancellation event");
        var move = Assert.Single(app.Recorded.All<AppointmentMoved>(), e => e.AppointmentId == booked.Id);
        Assert.Equal(InDays(3, 10), move.FromStartsAt);
        Assert.Equal(InDays(3, 15), move.StartsAt);
        Assert.Equal("confirmed", Assert.Single(app.Recorded.All<AppointmentStatusChanged>(), e => e.AppointmentId == booked.Id).To);

        await using var work = app.Scopes.ForTenant(tenantId);
        var timeline = await work.Db.ConversationEvents.Where(e => e.ConversationId == conversation.Id && e.Type == ConversationEventType.AppointmentBooked)
            .OrderBy(e => e.CreatedAt).Select(e => e.Text).ToListAsync();
        Assert.Equal(4, timeline.Count);
        Assert.StartsWith("Appointment booked by Olga", timeline[0]);
        Assert.StartsWith("Appointment moved by API", timeline[1]);
        Assert.Contains("cancelled by API", timeline[3]);
        var stored = await work.Db.Appointments.SingleAsync(a => a.Id == booked.Id);
        Assert.Equal(AppointmentStatus.Cancelled, stored.Status);
        Assert.StartsWith("API", stored.StatusChangedBy);
    }

    [Fact]
    public async Task The_ics_link_serves_the_appointment_as_text_calendar_only_with_its_signed_token()
    {
        var (_, tenantId, _) = await WorkspaceAsync();
        var contact = (await app.ConversationAsync(tenantId, "Ana", "Hola", customerId: ChannelData.NewExternalId())).ContactId;
        var booked = await Commands.BookAsync(tenantId, contact, InDays(3, 10), null, null, null, null, "Limpieza", AppointmentActor.Operator("Olga"), default);
        var invites = app.Services.GetRequiredService<AppointmentInvites>();
        var anonymous = app.CreateClient();

        var response = await anonymous.GetAsync(invites.IcsPath(booked.Id));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/calendar", response.Content.Headers.ContentType?.MediaType);
        var ics = await response.Content.ReadAsStringAsync();
        Assert.Contains($"DTSTART:{InDays(3, 10).UtcDateTime:yyyyMMdd'T'HHmmss'Z'}", ics);
        Assert.Contains("SUMMARY:Cita — ", ics);

        // Another appointment's token, or none, opens nothing.
        var other = await Commands.BookAsync(tenantId, contact, InDays(3, 12), null, null, null, null, null, AppointmentActor.Operator("Olga"), default);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/invite/{booked.Id:N}.ics?t={Uri.EscapeDataString(invites.Token(other.Id))}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"/invite/{booked.Id:N}.ics")).StatusCode);
    }
}

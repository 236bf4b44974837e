using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Appointments;
using OperatorConsole.Tests.Fakes;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Agent;

/// <summary>reschedule_appointment and cancel_appointment through the fake model: only the customer's own upcoming appointments.</summary>
public class AppointmentToolTests(AgentApp agent) : IClassFixture<AgentApp>
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City");

    private FakeLlm Llm => agent.Llm;

    private AppointmentCommands Commands => agent.App.Services.GetRequiredService<AppointmentCommands>();

    private static DateOnly NextMonday()
    {
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, Zone).DateTime);
        return today.AddDays(((int)DayOfWeek.Monday - (int)today.DayOfWeek + 7) % 7 + 7); // at least a week ahead
    }

    private static DateTimeOffset At(DateOnly day, int hour)
    {
        var local = day.ToDateTime(new TimeOnly(hour, 0));
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }

    /// <summary>A customer who has talked once (so their contact exists) and holds a Monday 10:00 booking; another customer holds Monday 9:00.</summary>
    private async Task<(TestCustomer Customer, Appointment Own, Appointment Others, DateOnly Monday)> BookedAsync()
    {
        var hours = new BusinessHours([new OpeningInterval(DayOfWeek.Monday, new TimeOnly(9, 0), new TimeOnly(11, 0)),
            new OpeningInterval(DayOfWeek.Tuesday, new TimeOnly(9, 0), new TimeOnly(11, 0))]);
        var customer = await TestCustomer.CreateAsync(agent.App, s => s with { BusinessHours = hours, AppointmentMinutes = 60, TimeZone = "America/Mexico_City" });
        Llm.Reply(LlmAnswer.Say("¡Hola! ¿En qué te ayudo?"));
        await customer.SayAsync($"{customer.Marker} hola");
        await customer.WaitForBotMessagesAsync(1);
        await customer.WaitUntilSettledAsync();
        var conversation = await customer.ConversationAsync();
        var monday = NextMonday();
        var own = await Commands.BookAsync(customer.TenantId, conversation.ContactId, At(monday, 10), null, conversation.Id, "Ana", null, null,
            AppointmentActor.Operator("Olga"), default);
        var luis = await agent.App.ConversationAsync(customer.TenantId, "Luis", "Hola", customerId: ChannelData.NewExternalId());
        var others = await Commands.BookAsync(customer.TenantId, luis.ContactId, At(monday, 9), null, luis.Id, "Luis", null, null,
            AppointmentActor.Operator("Olga"), default);
        return (customer, own, others, monday);
    }

    private static async Task<List<(string Tool, string Output)>> CallsAsync(TestCustomer customer) =>
        (await customer.EventsAsync()).Where(e => e.Type == ConversationEventType.ToolCalled)
            .Select(e => (e.Text!, JsonDocument.Parse(e.Data!).RootElement.GetProperty("output").GetString() ?? "")).ToList();

    [Fact]
    public async Task I_cant_come_ends_in_new_slots_and_a_move_of_the_customers_own_appointment_never_anothers()
    {
        var (customer, own, others, monday) = await BookedAsync();
        Llm.Reply(
            LlmAnswer.Call("check_availability", new { from_date = monday.ToString("yyyy-MM-dd"), to_date = monday.AddDays(1).ToString("yyyy-MM-dd") }),
            LlmAnswer.Call("cancel_appointment", new { appointment_id = others.Id.ToString(), reason = "no puede" }),
            LlmAnswer.Call("reschedule_appointment", new { start = $"{monday:yyyy-MM-dd}T09:00" }),
            LlmAnswer.Call("reschedule_appointment", new { start = $"{monday.AddDays(1):yyyy-MM-dd}T10:00" }),
            LlmAnswer.Say("Listo, te cambié al martes a las 10:00."));
        await customer.SayAsync($"{customer.Marker} no puedo ir el lunes, ¿me cambias?");
        await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();

        var calls = await CallsAsync(customer);
        var availability = calls.Single(c => c.Tool == "check_availability").Output;
        Assert.Contains(own.Id.ToString(), availability);
        Assert.DoesNotContain(others.Id.ToString(), availability);
        Assert.Contains($"{monday.AddDays(1):yyyy-MM-dd} Tue 10:00", availability);
        Assert.StartsWith("Error: that is not one of this customer's upcoming appointments", calls.Single(c => c.Tool == "cancel_appointment").Output);
        // The turn's tool calls are recorded together (same instant): tell them apart by what they say.
        var moves = calls.Where(c => c.Tool == "reschedule_appointment").Select(c => c.Output).ToList();
        Assert.Equal(2, moves.Count);
        // Monday 9:00 is the other customer's: refused, with free slots nearby to offer instead.
        var refused = Assert.Single(moves, m => m.StartsWith("Error: not moved", StringComparison.Ordinal));
        Assert.Contains($"{monday.AddDays(1):yyyy-MM-dd} Tue 10:00", refused);
        Assert.Single(moves, m => m.StartsWith($"Moved from {monday:yyyy-MM-dd} Mon 10:00 to {monday.AddDays(1):yyyy-MM-dd} Tue 10:00", StringComparison.Ordinal));

        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        var moved = await work.Db.Appointments.AsNoTracking().SingleAsync(a => a.Id == own.Id);
        Assert.Equal(At(monday.AddDays(1), 10), moved.StartsAt);
        Assert.Equal((AppointmentStatus.Pending, "agent"), (moved.Status, moved.StatusChangedBy));
        var untouched = await work.Db.Appointments.AsNoTracking().SingleAsync(a => a.Id == others.Id);
        Assert.Equal((AppointmentStatus.Pending, At(monday, 9)), (untouched.Status, untouched.StartsAt));
    }

    [Fact]
    public async Task cancel_appointment_cancels_the_customers_only_upcoming_appointment_and_frees_its_slot()
    {
        var (customer, own, others, monday) = await BookedAsync();
        Llm.Reply(LlmAnswer.Call("cancel_appointment", new { reason = "viaje" }), LlmAnswer.Say("Cancelé tu cita. ¿Quieres otra fecha?"));
        await customer.SayAsync($"{customer.Marker} cancela mi cita por favor");
        await customer.WaitForBotMessagesAsync(2);
        await customer.WaitUntilSettledAsync();

        Assert.StartsWith("Cancelled the appointment of", (await CallsAsync(customer)).Single(c => c.Tool == "cancel_appointment").Output);
        await using var work = agent.App.Scopes.ForTenant(customer.TenantId);
        Assert.Equal(AppointmentStatus.Cancelled, (await work.Db.Appointments.AsNoTracking().SingleAsync(a => a.Id == own.Id)).Status);
        Assert.Equal(AppointmentStatus.Pending, (await work.Db.Appointments.AsNoTracking().SingleAsync(a => a.Id == others.Id)).Status);
        Assert.Contains(At(monday, 10), await Commands.FreeSlotsAsync(customer.TenantId, null, monday, monday, asCustomer: true, default));
    }
}

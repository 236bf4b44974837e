using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Appointments;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>An owner books a lead from the calendar, drags the booking to another time and cancels it, in Spanish.</summary>
public class CalendarBrowserTests(BrowserAppFactory app, BrowserFixture browser) : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(string returnUrl, int width, int height)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/appointments**");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<Guid> DemoTenantAsync()
    {
        await using var system = app.Scopes.ForSystem("test");
        return await system.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
    }

    [Fact]
    public async Task An_owner_books_drags_to_another_slot_and_cancels_in_the_calendar()
    {
        var tenantId = await DemoTenantAsync();
        var tag = Guid.NewGuid().ToString("N")[..4];
        var name = $"Gabriela Ríos {tag}";
        var conversation = await app.ConversationAsync(tenantId, name);
        var commands = app.Services.GetRequiredService<AppointmentCommands>();
        var view = await commands.AvailabilityAsync(tenantId, default);
        // A working day a few days ahead with two free times (the demo's hours), found as the page will find them.
        var (day, slots) = (DateOnly.FromDateTime(DateTime.UtcNow).AddDays(3), (IReadOnlyList<DateTimeOffset>)[]);
        for (var i = 0; i < 14 && slots.Count < 3; i++, day = day.AddDays(1))
            slots = await commands.FreeSlotsAsync(tenantId, null, day, day, asCustomer: false, default);
        day = day.AddDays(-1);
        var (first, second) = (Local(slots[0], view.Zone), Local(slots[2], view.Zone));

        var page = await SignInAsync($"/appointments?date={day:yyyy-MM-dd}&view=week", 1366, 860);
        await page.GetByTestId($"cell-{first:yyyy-MM-ddTHH:mm}").ClickAsync();
        var form = page.GetByTestId("new-appointment-form");
        // Typed as a person types: the suggestions follow the keystrokes.
        await form.GetByLabel("Lead (nombre o teléfono)").PressSequentiallyAsync($"Ríos {tag}", new() { Delay = 40 });
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasText = name }).ClickAsync();
        await page.GetByTestId("book").ClickAsync();

        var booking = page.GetByTestId("appointment").Filter(new() { HasText = name });
        await Assertions.Expect(booking).ToHaveAttributeAsync("data-status", "pending");
        var id = await Eventually.GetAsync(async () =>
        {
            await using var work = app.Scopes.ForTenant(tenantId);
            return await work.Db.Appointments.AsNoTracking().Where(a => a.ContactId == conversation.ContactId).Select(a => (Guid?)a.Id).SingleOrDefaultAsync();
        }, a => a is not null, "the booking");

        // Dragged to a later free time of the same day: moved through the same checks as any move.
        await booking.DragToAsync(page.GetByTestId($"cell-{second:yyyy-MM-ddTHH:mm}"));
        await Eventually.TrueAsync(async () => (await AppointmentAsync(tenantId, id!.Value)).StartsAt == slots[2], "the move");
        await Assertions.Expect(booking).ToContainTextAsync(second.ToString("HH:mm"));
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("calendar-week-desktop-es.png") });

        // Cancelling asks once more.
        await booking.ClickAsync();
        await page.GetByTestId("cancel-appointment").ClickAsync();
        await Assertions.Expect(page.GetByTestId("cancel-appointment")).ToHaveTextAsync("Sí, cancelarla");
        await page.GetByTestId("cancel-appointment").ClickAsync();
        await Assertions.Expect(booking).ToHaveAttributeAsync("data-status", "cancelled");
        var cancelled = await AppointmentAsync(tenantId, id!.Value);
        Assert.Equal((AppointmentStatus.Cancelled, "Olivia Dueñas"), (cancelled.Status, cancelled.StatusChangedBy));
    }

    [Fact]
    public async Task On_a_phone_the_calendar_shows_one_day_and_a_booking_made_elsewhere_appears_live()
    {
        var tenantId = await DemoTenantAsync();
        var tag = Guid.NewGuid().ToString("N")[..4];
        var conversation = await app.ConversationAsync(tenantId, $"Hugo Paz {tag}");
        var commands = app.Services.GetRequiredService<AppointmentCommands>();
        var view = await commands.AvailabilityAsync(tenantId, default);
        var (day, slots) = (DateOnly.FromDateTime(DateTime.UtcNow).AddDays(2), (IReadOnlyList<DateTimeOffset>)[]);
        for (var i = 0; i < 14 && slots.Count == 0; i++, day = day.AddDays(1))
            slots = await commands.FreeSlotsAsync(tenantId, null, day, day, asCustomer: false, default);
        day = day.AddDays(-1);

        var page = await SignInAsync($"/appointments?date={day:yyyy-MM-dd}", 390, 844);
        await Assertions.Expect(page.GetByTestId("view-day")).ToHaveAttributeAsync("aria-pressed", "true");
        // The agent (here: the same command) books while the page is open.
        var booked = await commands.BookAsync(tenantId, conversation.ContactId, slots[0], null, conversation.Id, null, null, null, AppointmentActor.Agent, default);
        var booking = page.GetByTestId("appointment").Filter(new() { HasText = $"Hugo Paz {tag}" });
        await Assertions.Expect(booking).ToHaveAttributeAsync("data-status", "pending");
        // The customer confirms (here through the command; the reminder's button raises the same event): the calendar turns it green.
        await commands.ChangeStatusAsync(tenantId, booked.Id, AppointmentStatus.Confirmed, AppointmentActor.Customer, default);
        await Assertions.Expect(booking).ToHaveAttributeAsync("data-status", "confirmed");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("calendar-day-phone-es.png") });
    }

    private static DateTime Local(DateTimeOffset at, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(at, zone).DateTime;

    private async Task<Appointment> AppointmentAsync(Guid tenantId, Guid id)
    {
        await using var work = app.Scopes.ForTenant(tenantId);
        return await work.Db.Appointments.AsNoTracking().SingleAsync(a => a.Id == id);
    }
}

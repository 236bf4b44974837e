using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Reminders;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// A customer confirms an appointment from its reminder: the reminder is fired by the real scheduler, reaches the
/// simulated phone with its buttons, the tap goes back as a signed WhatsApp interactive reply, and the lead page (open
/// on a phone, in Spanish) shows the appointment confirmed without a reload.
/// </summary>
public class ReminderBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_customer_taps_Confirm_on_the_reminder_and_the_lead_page_shows_it_confirmed_live()
    {
        var simulator = await SignedInAsync(new ViewportSize { Width = 1366, Height = 860 }, "/simulator");
        var customerId = "52155" + Random.Shared.Next(10000000, 99999999);
        var idField = simulator.GetByLabel("Id del cliente en el canal");
        await idField.FillAsync(customerId);
        await idField.BlurAsync();
        await simulator.GetByPlaceholder("Mensaje como cliente").FillAsync("Hola, quiero una cita");
        await simulator.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        await Assertions.Expect(simulator.GetByTestId("sim-message").Filter(new() { HasText = "Hola, quiero una cita" })).ToBeVisibleAsync();

        // The agent's booking, as its tool makes it, with a one-minute reminder so the scheduler fires it in a moment.
        var (tenantId, contactId, conversationId) = await Eventually.GetAsync(() => CustomerAsync(customerId), c => c.ConversationId != Guid.Empty,
            "the customer's conversation");
        await app.Services.GetRequiredService<ReminderSettingsStore>().SaveAsync(tenantId, [1], null, null, null);
        var lead = await SignedInAsync(new ViewportSize { Width = 390, Height = 844 }, $"/leads/{contactId}");
        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            var a = Appointment.Book(tenantId, contactId, conversationId, DateTimeOffset.UtcNow.AddSeconds(62), TimeSpan.FromMinutes(30), null, null,
                null, DateTimeOffset.UtcNow);
            work.Db.Appointments.Add(a);
            work.Db.Raise(new AppointmentBooked(tenantId, a.Id, contactId, conversationId, a.StartsAt, a.EndsAt));
            await work.Db.SaveChangesAsync();
        }
        await lead.ReloadAsync();
        await lead.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var appointment = lead.GetByTestId("lead-appointment");
        await Assertions.Expect(appointment).ToContainTextAsync("Pendiente");

        var reminder = simulator.GetByTestId("sim-message").Filter(new() { HasText = "te recordamos tu cita" });
        await Assertions.Expect(reminder).ToBeVisibleAsync(new() { Timeout = 30000 });
        await simulator.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminder-simulator-desktop-es.png") });
        await reminder.GetByRole(AriaRole.Button, new() { Name = "Confirmar" }).ClickAsync();

        await Assertions.Expect(simulator.GetByTestId("sim-message").Filter(new() { HasText = "está confirmada" })).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Assertions.Expect(appointment).ToContainTextAsync("Confirmada", new() { Timeout = 15000 });
        await lead.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminder-lead-phone-es.png"), FullPage = true });
    }

    private async Task<IPage> SignedInAsync(ViewportSize viewport, string path)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = viewport,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login?returnUrl=" + Uri.EscapeDataString(path));
        await page.GetByLabel("Correo electrónico").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel("Contraseña").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**" + path);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<(Guid TenantId, Guid ContactId, Guid ConversationId)> CustomerAsync(string customerId)
    {
        await using var work = app.Scopes.ForSystem("test");
        var identity = await work.Db.ContactIdentities.AsNoTracking().FirstOrDefaultAsync(i => i.Value == customerId);
        if (identity is null) return default;
        var conversation = await work.Db.Conversations.AsNoTracking().Where(c => c.ContactId == identity.ContactId).Select(c => new { c.Id, c.TenantId })
            .FirstOrDefaultAsync();
        return conversation is null ? default : (conversation.TenantId, identity.ContactId, conversation.Id);
    }
}

using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Infrastructure.Appointments;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>An owner sets when customers can book — hours in two ranges, a day off, a second chair — from the screen, in Spanish.</summary>
public class AvailabilityBrowserTests(BrowserAppFactory app, BrowserFixture browser) : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(string email, int width = 1366, int height = 900)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/settings/availability")}");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync("Str0ng!Pass");
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/settings/availability");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private static DateOnly NextMonday(int atLeastDaysAhead)
    {
        var d = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(atLeastDaysAhead);
        while (d.DayOfWeek != DayOfWeek.Monday) d = d.AddDays(1);
        return d;
    }

    [Fact]
    public async Task An_owner_splits_mondays_into_two_ranges_blocks_a_day_and_only_those_times_are_offered()
    {
        var tenant = await app.TenantAsync($"Barbería Norte {Guid.NewGuid():N}"[..22]);
        var commands = app.Services.GetRequiredService<AppointmentCommands>();
        var page = await SignInAsync($"{tenant.Slug}@owner.test");
        var resource = page.GetByTestId("resource");
        await Assertions.Expect(resource).ToHaveCountAsync(1);

        await resource.GetByTestId("resource-name").FillAsync("Sillón 1");
        await resource.GetByTestId("resource-slot").FillAsync("60");
        await resource.GetByText("Horario propio (varios tramos por día)").ClickAsync();
        var monday = resource.GetByTestId("day-1");
        var ranges = monday.Locator(".availability-range");
        await ranges.Nth(0).GetByLabel("lunes Abre").FillAsync("09:00");
        await ranges.Nth(0).GetByLabel("lunes Cierra").FillAsync("13:00");
        await monday.GetByTestId("add-range").ClickAsync();
        await Assertions.Expect(ranges).ToHaveCountAsync(2);
        await ranges.Nth(1).GetByLabel("lunes Abre").FillAsync("15:00");
        await ranges.Nth(1).GetByLabel("lunes Cierra").FillAsync("18:00");

        var open = NextMonday(2);
        var blocked = open.AddDays(7);
        await resource.GetByTestId("resource-blocked-date").Locator("input").FillAsync(blocked.ToString("yyyy-MM-dd"));
        await resource.GetByTestId("resource-blocked-date").Locator("input").PressAsync("Tab");
        await resource.GetByTestId("resource-blocked-add").ClickAsync();
        await Assertions.Expect(resource.GetByTestId("date-chip")).ToHaveCountAsync(1);
        await page.GetByTestId("availability-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Disponibilidad guardada")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("availability-desktop-es.png") });

        // What customers are offered follows the screen: 9–12 and 15–17 starts on the open Monday, nothing on the blocked one.
        var view = await commands.AvailabilityAsync(tenant.Id, default);
        var slots = await commands.FreeSlotsAsync(tenant.Id, null, open, open, asCustomer: false, default);
        var local = slots.Select(s => TimeZoneInfo.ConvertTime(s, view.Zone).ToString("HH:mm")).ToList();
        Assert.Equal(["09:00", "10:00", "11:00", "12:00", "15:00", "16:00", "17:00"], local);
        Assert.Empty(await commands.FreeSlotsAsync(tenant.Id, null, blocked, blocked, asCustomer: false, default));
        Assert.Equal("Sillón 1", Assert.Single(view.Resources).Name);

        // A reload shows what was saved, and a phone can read and edit it.
        var phone = await SignInAsync($"{tenant.Slug}@owner.test", 390, 844);
        await Assertions.Expect(phone.GetByTestId("resource-name")).ToHaveValueAsync("Sillón 1");
        await Assertions.Expect(phone.GetByTestId("day-1").Locator(".availability-range")).ToHaveCountAsync(2);
        await Assertions.Expect(phone.GetByTestId("resource").GetByTestId("date-chip")).ToHaveCountAsync(1);
        await phone.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("availability-phone-es.png") });
    }

    [Fact]
    public async Task A_second_chair_is_added_and_one_holding_appointments_cannot_be_removed()
    {
        var tenant = await app.TenantAsync($"Estética Luz {Guid.NewGuid():N}"[..20]);
        var commands = app.Services.GetRequiredService<AppointmentCommands>();
        var page = await SignInAsync($"{tenant.Slug}@owner.test");
        await page.GetByTestId("resource-add").ClickAsync();
        var second = page.GetByTestId("resource").Nth(1);
        await second.GetByTestId("resource-name").FillAsync("Sillón 2");
        await page.GetByTestId("availability-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Disponibilidad guardada")).ToBeVisibleAsync();
        var view = await commands.AvailabilityAsync(tenant.Id, default);
        Assert.Equal(["Agenda", "Sillón 2"], view.Resources.Select(r => r.Name));

        // The second chair gets a booking; removing it afterwards is refused with the reason, and nothing is lost.
        var chair = view.Resources.Single(r => r.Name == "Sillón 2");
        var conversation = await app.ConversationAsync(tenant.Id, "Lucía Paz");
        var day = NextMonday(2);
        var slot = (await commands.FreeSlotsAsync(tenant.Id, chair.Id, day, day, asCustomer: false, default))[0];
        await commands.BookAsync(tenant.Id, conversation.ContactId, slot, chair.Id, null, null, null, null, AppointmentActor.Operator("test"), default);

        await page.ReloadAsync();
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.GetByTestId("resource").Nth(1).GetByTestId("resource-remove").ClickAsync();
        await page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Eliminar" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("resource")).ToHaveCountAsync(1);
        await page.GetByTestId("availability-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("availability-error")).ToHaveTextAsync("'Sillón 2' tiene citas; no se puede eliminar.");
        await using var work = app.Scopes.ForTenant(tenant.Id);
        Assert.Equal(2, await work.Db.BookableResources.CountAsync());
    }
}

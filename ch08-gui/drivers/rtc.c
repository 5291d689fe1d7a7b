/*
 * rtc.c: the CMOS real-time clock (MC146818, as PCs and QEMU have it):
 * the date and time, read once at boot for the wall clock.
 *
 * Registers are read through ports 0x70 (index) and 0x71 (data). The
 * values may be BCD or binary and the hour 12- or 24-hour, as status
 * register B says; an update in progress (register A bit 7) makes a read
 * inconsistent, so read until two reads agree (OSDev wiki, "CMOS").
 */
#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "x86.h"

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0A
#define RTC_STATUS_B 0x0B
#define RTC_UPDATING 0x80       /* status A: an update is in progress */
#define RTC_BINARY 0x04         /* status B: values are binary, not BCD */
#define RTC_24_HOUR 0x02        /* status B: 24-hour clock */
#define RTC_PM 0x80             /* hour bit in 12-hour mode */

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

struct rtc_time {
    uint8_t second, minute, hour, day, month, year;
};

static void read_raw(struct rtc_time *t)
{
    while (cmos_read(RTC_STATUS_A) & RTC_UPDATING)
        ;
    t->second = cmos_read(RTC_SECONDS);
    t->minute = cmos_read(RTC_MINUTES);
    t->hour = cmos_read(RTC_HOURS);
    t->day = cmos_read(RTC_DAY);
    t->month = cmos_read(RTC_MONTH);
    t->year = cmos_read(RTC_YEAR);
}

static uint8_t from_bcd(uint8_t v)
{
    return (uint8_t)((v >> 4) * 10 + (v & 0x0F));
}

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian). */
static uint64_t days_since_epoch(unsigned year, unsigned month, unsigned day)
{
    static const unsigned before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    uint64_t days = 0;
    for (unsigned y = 1970; y < year; y++)
        days += (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) ? 366 : 365;
    days += before_month[month - 1] + day - 1;
    bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    if (leap && month > 2)
        days++;
    return days;
}

uint64_t rtc_read_epoch(void)
{
    struct rtc_time a, b;
    read_raw(&a);
    for (;;) {
        read_raw(&b);
        if (a.second == b.second && a.minute == b.minute && a.hour == b.hour && a.day == b.day &&
            a.month == b.month && a.year == b.year)
            break;
        a = b;
    }
    uint8_t status = cmos_read(RTC_STATUS_B);
    bool pm = b.hour & RTC_PM;
    b.hour &= (uint8_t)~RTC_PM;
    if (!(status & RTC_BINARY)) {
        b.second = from_bcd(b.second);
        b.minute = from_bcd(b.minute);
        b.hour = from_bcd(b.hour);
        b.day = from_bcd(b.day);
        b.month = from_bcd(b.month);
        b.year = from_bcd(b.year);
    }
    if (!(status & RTC_24_HOUR))
        b.hour = (uint8_t)(b.hour % 12 + (pm ? 12 : 0));
    if (b.month < 1 || b.month > 12 || b.day < 1 || b.day > 31)
        return 0;               /* a clock that was never set */
    /* The century register is not standard: years 00-69 are 2000-2069. */
    unsigned year = b.year < 70 ? 2000u + b.year : 1900u + b.year;
    return days_since_epoch(year, b.month, b.day) * 86400 + b.hour * 3600u + b.minute * 60u + b.second;
}

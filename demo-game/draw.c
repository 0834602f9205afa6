/* draw.c: renders the demo game with curses. Rows: 0 status, 1 stage
 * info, 2-5 the lane box (effects row 3, lane row 4), 6 enemies ahead,
 * 7 banner, 8.. the combat log, last row help. Everything is clipped, so
 * a terminal of any size only hides what does not fit. */
#include "game.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_STATUS 0
#define ROW_INFO 1
#define ROW_BOX_TOP 2
#define ROW_FX 3
#define ROW_LANE 4
#define ROW_GROUND 5
#define ROW_AHEAD 6
#define ROW_BANNER 7
#define ROW_LOG 8
#define BOX_W (LANE_W + 2)

enum {
	PAIR_HERO = 1, PAIR_CREEP, PAIR_BRUTE, PAIR_TOWER, PAIR_SHOT,
	PAIR_GOOD, PAIR_BAD, PAIR_LOOT, PAIR_STATUS, PAIR_WALL, PAIR_DANGER
};

static int use_color;

/* Set up colour pairs when the terminal has colours; else stay mono. */
void draw_init(void)
{
	short bg = COLOR_BLACK;

	if (!has_colors() || start_color() == ERR)
		return;
	if (use_default_colors() == OK)
		bg = -1;
	init_pair(PAIR_HERO, COLOR_YELLOW, bg);
	init_pair(PAIR_CREEP, COLOR_RED, bg);
	init_pair(PAIR_BRUTE, COLOR_MAGENTA, bg);
	init_pair(PAIR_TOWER, COLOR_CYAN, bg);
	init_pair(PAIR_SHOT, COLOR_YELLOW, bg);
	init_pair(PAIR_GOOD, COLOR_GREEN, bg);
	init_pair(PAIR_BAD, COLOR_RED, bg);
	init_pair(PAIR_LOOT, COLOR_YELLOW, bg);
	init_pair(PAIR_STATUS, COLOR_WHITE, COLOR_BLUE);
	init_pair(PAIR_WALL, COLOR_BLUE, bg);
	init_pair(PAIR_DANGER, COLOR_RED, bg);
	use_color = 1;
}

/* The attribute for a role: its colour (plus extra) or, in mono, mono. */
static attr_t look(short pair, attr_t extra, attr_t mono)
{
	return use_color ? (attr_t)COLOR_PAIR(pair) | extra : mono;
}

/* Write s at (y, x), clipped to the screen; never the bottom-right cell. */
static void put_str(int y, int x, const char *s, attr_t attr)
{
	int room;

	if (y < 0 || y >= LINES || x < 0 || x >= COLS)
		return;
	room = COLS - x - (y == LINES - 1 ? 1 : 0);
	if (room <= 0)
		return;
	attrset((int)attr);
	mvaddnstr(y, x, s, room);
	attrset(A_NORMAL);
}

/* Write one character at (y, x) if it is on screen. */
static void put_ch(int y, int x, char c, attr_t attr)
{
	char s[2] = { c, '\0' };

	put_str(y, x, s, attr);
}

/* Screen column of lane cell x (column 0 is the left wall). */
static int col(int32_t x)
{
	return (int)x + 1;
}

/* Row 0: the status line tests read. */
static void draw_status(void)
{
	char buf[160];

	snprintf(buf, sizeof buf,
	    "HP %d/%d  Gold %d  Lvl %d  XP %d/%d  Score %d  Wave %d  "
	    "Tick %u  Regen %lu",
	    (int)hero.hp, (int)hero.max_hp, (int)hero.gold, (int)hero.level,
	    (int)hero.xp, (int)hero.xp_next, (int)hero.score, (int)game.wave,
	    (unsigned)game.tick, (unsigned long)regen_ticks);
	put_str(ROW_STATUS, 0, buf, look(PAIR_STATUS, A_BOLD, A_BOLD));
}

/* Row 1: stage, attack, upgrade price and what is left to fight. */
static void draw_info(void)
{
	static const char *const tag[] = {
		[STATE_PLAYING] = "", [STATE_PAUSED] = "  [PAUSED]",
		[STATE_OVER] = "  [FALLEN]", [STATE_WON] = "  [CLEARED]",
	};
	char buf[160];
	int32_t st = game.state;

	snprintf(buf, sizeof buf,
	    "Stage %d  Atk %d  Upgrade(u) %dg  Towers %d  Creeps %d+%d%s",
	    (int)game.stage, (int)hero.attack, (int)game_upgrade_cost(),
	    (int)game.towers_left, (int)game_creeps_alive(),
	    (int)game.spawn_left, st >= 0 && st <= STATE_WON ? tag[st] : "");
	put_str(ROW_INFO, 0, buf, A_NORMAL);
}

/* Whether lane cell x is within reach of a standing tower. */
static int in_danger(int32_t x)
{
	for (int i = 0; i < entity_count; i++)
		if (entities[i].alive && entities[i].kind == ENT_TOWER &&
		    abs(entities[i].x - x) <= TOWER_RANGE)
			return 1;
	return 0;
}

/* Drawing order of an entity: rubble 0, tower 1, corpse 2, creep 3. */
static int entity_layer(const struct entity *e)
{
	if (e->kind == ENT_TOWER)
		return e->alive ? 1 : 0;
	return e->alive ? 3 : 2;
}

/* Draw one entity on the lane row, flashing when just hit or firing. */
static void draw_entity(const struct entity *e)
{
	attr_t flash = e->flash > 0 ? A_REVERSE : 0;
	char glyph;
	attr_t attr;

	if (!e->alive) {
		glyph = e->kind == ENT_TOWER ? '#' : 'x';
		attr = A_DIM;
	} else if (e->kind == ENT_TOWER) {
		glyph = 'T';
		attr = look(PAIR_TOWER, A_BOLD, A_BOLD) | flash;
	} else if (e->kind == ENT_BRUTE) {
		glyph = 'C';
		attr = look(PAIR_BRUTE, A_BOLD, A_BOLD) | flash;
	} else {
		glyph = 'c';
		attr = look(PAIR_CREEP, A_BOLD, A_NORMAL) | flash;
	}
	put_ch(ROW_LANE, col(e->x), glyph, attr);
}

/* Rows 2-5: the box, the floor, tower reach, enemies, shots and the hero. */
static void draw_lane(void)
{
	attr_t wall = look(PAIR_WALL, 0, A_NORMAL);
	char edge[BOX_W + 1];

	memset(edge, '-', BOX_W);
	edge[0] = edge[BOX_W - 1] = '+';
	edge[BOX_W] = '\0';
	put_str(ROW_BOX_TOP, 0, edge, wall);
	memset(edge + 1, '=', BOX_W - 2);
	put_str(ROW_GROUND, 0, edge, wall);
	for (int y = ROW_FX; y <= ROW_LANE; y++) {
		put_ch(y, 0, '|', wall);
		put_ch(y, BOX_W - 1, '|', wall);
	}

	for (int32_t x = 0; x < LANE_W; x++) {
		if (in_danger(x))
			put_ch(ROW_LANE, col(x), ':',
			    look(PAIR_DANGER, A_DIM, A_NORMAL));
		else
			put_ch(ROW_LANE, col(x), '.', A_DIM);
	}

	/* rubble, towers, corpses, creeps: a creep passing a tower shows */
	for (int layer = 0; layer < 4; layer++)
		for (int i = 0; i < entity_count; i++)
			if (entity_layer(&entities[i]) == layer)
				draw_entity(&entities[i]);
	put_ch(ROW_LANE, col(hero.x), '@', look(PAIR_HERO, A_BOLD, A_BOLD));

	/* effects row: tower bolts, then the hero's last blow */
	for (int i = 0; i < entity_count; i++) {
		const struct entity *e = &entities[i];
		int from, to;
		if (!e->alive || e->kind != ENT_TOWER || e->flash == 0)
			continue;
		from = col(hero.x < e->x ? hero.x : e->x);
		to = col(hero.x < e->x ? e->x : hero.x);
		for (int c = from; c <= to; c++)
			put_ch(ROW_FX, c, c == col(hero.x) ? '*' : '~',
			    look(PAIR_SHOT, A_BOLD, A_BOLD));
	}
	if (game.hit_timer > 0) {
		char num[16];
		int c;
		snprintf(num, sizeof num, "-%d%s", (int)game.hit_amount,
		    game.hit_crit ? "!" : "");
		c = col(game.hit_x) - 1;
		if (c + (int)strlen(num) > BOX_W - 1)
			c = BOX_W - 1 - (int)strlen(num);
		put_str(ROW_FX, c < 1 ? 1 : c, num,
		    look(game.hit_crit ? PAIR_LOOT : PAIR_GOOD, A_BOLD, A_BOLD));
	}
}

/* Row 6: the enemy in front of the hero and the towers' health. */
static void draw_ahead(void)
{
	char buf[160];
	const struct entity *front = NULL;
	int len = 0;

	for (int i = 0; i < entity_count; i++) {
		const struct entity *e = &entities[i];
		if (e->alive && e->x > hero.x && (front == NULL ||
		    e->x < front->x || (e->x == front->x && e->kind != ENT_TOWER)))
			front = e;
	}
	if (front != NULL) {
		char bar[11];
		int fill = (int)(10 * front->hp / (front->max_hp > 0 ?
		    front->max_hp : 1));
		for (int k = 0; k < 10; k++)
			bar[k] = k < fill ? '#' : ' ';
		bar[10] = '\0';
		len = snprintf(buf, sizeof buf, "Ahead: %s %d/%d [%s] %d away  ",
		    front->kind == ENT_TOWER ? "tower" :
		    front->kind == ENT_BRUTE ? "brute" : "creep",
		    (int)front->hp, (int)front->max_hp, bar,
		    (int)(front->x - hero.x));
	}
	len += snprintf(buf + len, sizeof buf - (size_t)len, "Towers:");
	for (int i = 0; i < entity_count && len < (int)sizeof buf - 12; i++) {
		if (entities[i].kind != ENT_TOWER)
			continue;
		if (entities[i].alive)
			len += snprintf(buf + len, sizeof buf - (size_t)len, " %d",
			    (int)entities[i].hp);
		else
			len += snprintf(buf + len, sizeof buf - (size_t)len, " --");
	}
	put_str(ROW_AHEAD, 0, buf, A_NORMAL);
}

/* Row 7: what the player should do next, when it is not obvious. */
static void draw_banner(void)
{
	char buf[96];
	attr_t attr = look(PAIR_BAD, A_BOLD, A_BOLD);

	buf[0] = '\0';
	if (game.state == STATE_PAUSED) {
		snprintf(buf, sizeof buf, "-- PAUSED: press p to resume --");
		attr = A_BOLD;
	} else if (game.state == STATE_OVER) {
		snprintf(buf, sizeof buf,
		    "*** YOU FELL  Score %d  r: restart  q: quit ***",
		    (int)hero.score);
	} else if (game.state == STATE_WON) {
		snprintf(buf, sizeof buf,
		    "*** STAGE %d CLEARED  r: on to stage %d ***",
		    (int)game.stage, (int)game.stage + 1);
		attr = look(PAIR_GOOD, A_BOLD, A_BOLD);
	} else if (game.wave_timer > 0) {
		snprintf(buf, sizeof buf, "Wave %d in %d...", (int)game.wave + 1,
		    (int)(game.wave_timer + TICK_HZ - 1) / TICK_HZ);
		attr = A_BOLD;
	}
	if (buf[0] != '\0' && ROW_BANNER < LINES - 1)
		put_str(ROW_BANNER, (BOX_W - (int)strlen(buf)) / 2, buf, attr);
}

/* Rows 8..: the combat log, oldest at the top, as many lines as fit. */
static void draw_log(void)
{
	const struct msg *shown[MSG_MAX];
	int n = 0, room = LINES - 1 - ROW_LOG;

	for (const struct msg *m = messages; m != NULL && n < MSG_MAX;
	    m = m->next)
		shown[n++] = m;
	if (n > room)
		n = room;
	for (int k = 0; k < n; k++) {
		const struct msg *m = shown[n - 1 - k];
		short pair = m->kind == MSG_GOOD ? PAIR_GOOD :
		    m->kind == MSG_BAD ? PAIR_BAD :
		    m->kind == MSG_LOOT ? PAIR_LOOT : 0;
		put_str(ROW_LOG + k, 1, m->text,
		    pair != 0 ? look(pair, 0, A_NORMAL) : A_NORMAL);
	}
}

/* Last row: the keys. */
static void draw_help(void)
{
	if (LINES - 1 > ROW_BANNER)
		put_str(LINES - 1, 0, "<-/-> h/l a/d move  space attack  "
		    "u upgrade  p pause  r restart  q quit", A_DIM);
}

/* Redraw the whole screen and show it. */
void draw_frame(void)
{
	erase();
	draw_status();
	draw_info();
	draw_lane();
	draw_ahead();
	draw_banner();
	draw_log();
	draw_help();
	refresh();
}

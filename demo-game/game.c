/* game.c: the demo game's simulation: the hero, creeps in waves, towers,
 * stages and the combat log. It knows nothing of curses or clocks: every
 * change happens in game_tick() or game_action(), so the same seed and the
 * same keys on the same ticks replay the same game at any speed. */
#include "game.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPAWN_X (LANE_W - 1)
#define HERO_RATE 10        /* ticks between the hero's strikes */
#define CREEP_RATE 20       /* ticks between a creep's hits */
#define BRUTE_RATE 26
#define CREEP_STEP 5        /* ticks per cell walked */
#define BRUTE_STEP 8
#define TOWER_RATE 45       /* ticks between a tower's bolts */
#define CORPSE_TICKS 12     /* how long a slain creep lies there */
#define WAVE_BREAK 90       /* ticks of rest between waves */
#define MSG_TTL (8 * TICK_HZ)

struct hero hero;
struct entity entities[MAX_ENTITIES];
int entity_count;
struct game game;
struct msg *messages;
_Atomic unsigned long regen_ticks;

/* Draw from rand(), counting draws so drift between runs shows. */
static int32_t roll(int32_t n)
{
	int r = rand();

	game.rng_draws++;
	return n > 0 ? (int32_t)(r % n) : 0;
}

/* Add a line to the combat log, dropping the oldest past MSG_MAX. */
__attribute__((format(printf, 2, 3)))
static void msg_push(int32_t kind, const char *fmt, ...)
{
	struct msg *m, **pp;
	va_list ap;
	int n = 0;

	m = malloc(sizeof *m);
	if (m == NULL)
		return; /* the log is cosmetic; the game goes on */
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof m->text, fmt, ap);
	va_end(ap);
	m->tick = game.tick;
	m->kind = kind;
	m->ttl = MSG_TTL;
	m->next = messages;
	messages = m;

	pp = &messages;
	while (*pp != NULL) {
		if (++n > MSG_MAX) {
			struct msg *old = *pp;
			*pp = old->next;
			free(old);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Age the log by a tick of play, freeing lines whose time is up. */
static void msg_expire(void)
{
	struct msg **pp = &messages;

	while (*pp != NULL) {
		if (--(*pp)->ttl <= 0) {
			struct msg *old = *pp;
			*pp = old->next;
			free(old);
		} else {
			pp = &(*pp)->next;
		}
	}
}

/* Free the whole log. */
void msg_clear(void)
{
	while (messages != NULL) {
		struct msg *old = messages;
		messages = old->next;
		free(old);
	}
}

/* Whether a kind is a creep (grunt or brute). */
static int is_creep(int32_t kind)
{
	return kind == ENT_CREEP || kind == ENT_BRUTE;
}

/* The living creep on cell x, or NULL. */
static struct entity *creep_at(int32_t x)
{
	for (int i = 0; i < entity_count; i++)
		if (entities[i].alive && is_creep(entities[i].kind) &&
		    entities[i].x == x)
			return &entities[i];
	return NULL;
}

/* Whether something alive stands in the hero's way on cell x. */
static int blocked(int32_t x)
{
	if (x < 0 || x >= LANE_W)
		return 1;
	for (int i = 0; i < entity_count; i++)
		if (entities[i].alive && entities[i].x == x)
			return 1;
	return 0;
}

/* Number of living creeps on the lane. */
int32_t game_creeps_alive(void)
{
	int32_t n = 0;

	for (int i = 0; i < entity_count; i++)
		if (entities[i].alive && is_creep(entities[i].kind))
			n++;
	return n;
}

/* Gold the next upgrade costs. */
int32_t game_upgrade_cost(void)
{
	return 20 + 15 * game.upgrades + 5 * game.upgrades * game.upgrades;
}

/* Creeps in wave w. */
static int32_t wave_size(int32_t w)
{
	return 3 + w;
}

/* Place the stage's towers and reset its waves; the hero keeps his stats. */
static void stage_setup(void)
{
	int32_t n = game.stage + 1;

	if (n > 4)
		n = 4;
	memset(entities, 0, sizeof entities);
	entity_count = 0;
	for (int32_t i = 0; i < n; i++) {
		struct entity *e = &entities[entity_count++];
		e->kind = ENT_TOWER;
		e->x = LANE_W - 3 - 12 * (n - 1 - i); /* left to right */
		e->max_hp = e->hp = 200 + 150 * (game.stage - 1);
		e->damage = 18 + 7 * (game.stage - 1);
		e->alive = 1;
		e->cooldown = 20 + roll(TOWER_RATE);
	}
	game.towers_left = n;
	game.wave = 1;
	game.spawn_left = wave_size(1);
	game.spawn_timer = 2 * TICK_HZ;
	game.wave_timer = -1;
	game.hit_timer = 0;
	game.state = STATE_PLAYING;
	hero.x = HERO_START_X;
	hero.cooldown = 0;
	msg_push(MSG_INFO, "Stage %d: bring down %d towers!", (int)game.stage,
	    (int)n);
}

/* Start a new game from stage 1; the tick count and rand() stream go on. */
void game_new(void)
{
	msg_clear();
	memset(&hero, 0, sizeof hero);
	hero.max_hp = hero.hp = 100;
	hero.level = 1;
	hero.xp_next = 10;
	hero.attack = 10;
	game.state = STATE_PLAYING;
	game.stage = 1;
	game.kills = 0;
	game.upgrades = 0;
	stage_setup();
}

/* Hurt the hero; at zero hp the game is over. */
static void hero_hurt(int32_t dmg, const char *by)
{
	if (dmg < 1)
		dmg = 1;
	hero.hp -= dmg;
	if (hero.hp > 0)
		return;
	hero.hp = 0;
	game.state = STATE_OVER;
	msg_push(MSG_BAD, "Slain by a %s on wave %d. Press r to retry.", by,
	    (int)game.wave);
}

/* Grant xp, levelling up as often as it fills. */
static void hero_gain_xp(int32_t xp)
{
	hero.xp += xp;
	if (hero.xp_next < 1)
		hero.xp_next = 1;
	while (hero.xp >= hero.xp_next) {
		hero.xp -= hero.xp_next;
		hero.level++;
		hero.xp_next = 10 * hero.level;
		hero.max_hp += 15;
		hero.attack += 3;
		hero.hp += 30;
		if (hero.hp > hero.max_hp)
			hero.hp = hero.max_hp;
		msg_push(MSG_GOOD, "Level %d! Attack %d, max HP %d",
		    (int)hero.level, (int)hero.attack, (int)hero.max_hp);
	}
}

/* Every tower is down: bank the bonus and wait for 'r'. */
static void stage_won(void)
{
	int32_t bonus = 1000 * game.stage;

	hero.score += bonus;
	hero.gold += 20 + 10 * game.stage;
	game.state = STATE_WON;
	msg_push(MSG_GOOD, "Stage %d cleared! +%d score. Press r.",
	    (int)game.stage, (int)bonus);
}

/* An enemy's hp reached zero: pay out and leave a corpse or rubble. */
static void enemy_killed(struct entity *e)
{
	int32_t gold, xp, score;

	e->alive = 0;
	e->hp = 0;
	if (e->kind == ENT_TOWER) {
		gold = 40 + 10 * game.stage;
		xp = 20;
		score = 250 * game.stage;
		game.towers_left--;
		msg_push(MSG_LOOT, "Tower destroyed! +%dg +%dxp", (int)gold,
		    (int)xp);
	} else {
		int brute = e->kind == ENT_BRUTE;
		gold = brute ? 10 + roll(6) : 4 + roll(4);
		xp = brute ? 7 : 3;
		score = (brute ? 25 : 10) * game.wave * game.stage;
		e->cooldown = CORPSE_TICKS;
		msg_push(MSG_LOOT, "Slew a %s +%dg +%dxp",
		    brute ? "brute" : "creep", (int)gold, (int)xp);
	}
	game.kills++;
	hero.gold += gold;
	hero.score += score;
	hero_gain_xp(xp);
	if (game.towers_left == 0)
		stage_won();
}

/* The nearest living enemy within the hero's reach; creeps before towers. */
static struct entity *hero_target(void)
{
	struct entity *best = NULL;
	int32_t best_d = HERO_RANGE + 1;

	for (int i = 0; i < entity_count; i++) {
		struct entity *e = &entities[i];
		int32_t d = abs(e->x - hero.x);
		if (!e->alive || d > HERO_RANGE)
			continue;
		if (d < best_d || (d == best_d && best != NULL &&
		    best->kind == ENT_TOWER && is_creep(e->kind))) {
			best = e;
			best_d = d;
		}
	}
	return best;
}

/* Strike the nearest enemy in reach, if the hero is ready. */
static void hero_attack(void)
{
	struct entity *t;
	int32_t dmg;
	int crit;

	if (hero.cooldown > 0)
		return;
	hero.cooldown = HERO_RATE;
	t = hero_target();
	if (t == NULL)
		return;
	dmg = hero.attack + roll(hero.attack / 3 + 1);
	crit = roll(10) == 0;
	if (crit)
		dmg *= 2;
	t->hp -= dmg;
	t->flash = 4;
	game.hit_x = t->x;
	game.hit_amount = dmg;
	game.hit_crit = crit;
	game.hit_timer = 15;
	if (t->hp <= 0)
		enemy_killed(t);
}

/* Spend gold on attack and hit points. */
static void hero_upgrade(void)
{
	int32_t cost = game_upgrade_cost();

	if (hero.gold < cost) {
		msg_push(MSG_INFO, "An upgrade costs %dg; you have %dg",
		    (int)cost, (int)hero.gold);
		return;
	}
	hero.gold -= cost;
	hero.attack += 4;
	hero.max_hp += 10;
	hero.hp += 10;
	game.upgrades++;
	msg_push(MSG_GOOD, "Upgraded! Attack %d, max HP %d (-%dg)",
	    (int)hero.attack, (int)hero.max_hp, (int)cost);
}

/* Keep the entity count inside the array, whoever last wrote it. */
static void entities_clamp(void)
{
	if (entity_count < 0)
		entity_count = 0;
	if (entity_count > MAX_ENTITIES)
		entity_count = MAX_ENTITIES;
}

/* Apply one key's action; called for each key, in order, before the tick. */
void game_action(enum action act)
{
	entities_clamp();
	switch (act) {
	case ACT_LEFT:
	case ACT_RIGHT:
		if (game.state == STATE_PLAYING) {
			int32_t nx = hero.x + (act == ACT_LEFT ? -1 : 1);
			if (!blocked(nx))
				hero.x = nx;
		}
		break;
	case ACT_ATTACK:
		if (game.state == STATE_PLAYING)
			hero_attack();
		break;
	case ACT_UPGRADE:
		if (game.state == STATE_PLAYING)
			hero_upgrade();
		break;
	case ACT_PAUSE:
		if (game.state == STATE_PLAYING)
			game.state = STATE_PAUSED;
		else if (game.state == STATE_PAUSED)
			game.state = STATE_PLAYING;
		break;
	case ACT_RESTART:
		if (game.state == STATE_OVER) {
			game_new();
		} else if (game.state == STATE_WON) {
			game.stage++;
			hero.hp = hero.max_hp;
			msg_clear();
			stage_setup();
		}
		break;
	case ACT_NONE:
	case ACT_QUIT:
		break;
	}
}

/* Heal 1 hp whenever the regen thread's counter has moved on. */
void game_regen(unsigned long seen)
{
	if (seen == game.regen_seen)
		return;
	game.regen_seen = seen;
	if (game.state == STATE_PLAYING && hero.hp < hero.max_hp)
		hero.hp++;
}

/* Bring a creep of the current wave in at the right end, if there is room. */
static int spawn_creep(void)
{
	struct entity *e;
	int32_t nth = wave_size(game.wave) - game.spawn_left;
	int32_t s = game.stage - 1, w = game.wave;
	int brute = w >= 3 && nth % 3 == 2;

	if (entity_count >= MAX_ENTITIES || creep_at(SPAWN_X) != NULL ||
	    hero.x >= SPAWN_X)
		return 0;
	e = &entities[entity_count++];
	memset(e, 0, sizeof *e);
	e->kind = brute ? ENT_BRUTE : ENT_CREEP;
	e->x = SPAWN_X;
	e->max_hp = 20 + 6 * w + 18 * s + roll(6);
	e->damage = 5 + 2 * w + 4 * s;
	if (brute) {
		e->max_hp = e->max_hp * 5 / 2;
		e->damage = e->damage * 3 / 2 + 2;
	}
	e->hp = e->max_hp;
	e->alive = 1;
	e->move_timer = brute ? BRUTE_STEP : CREEP_STEP;
	return 1;
}

/* Spawn the wave's creeps one by one; rest between waves. */
static void waves_update(void)
{
	if (game.spawn_left > 0) {
		if (--game.spawn_timer > 0)
			return;
		if (spawn_creep()) {
			game.spawn_left--;
			game.spawn_timer = 20 + roll(16);
		} else {
			game.spawn_timer = 5;
		}
		return;
	}
	if (game_creeps_alive() > 0)
		return;
	if (game.wave_timer < 0) {
		game.wave_timer = WAVE_BREAK;
		msg_push(MSG_INFO, "Wave %d beaten. Push for the towers!",
		    (int)game.wave);
		return;
	}
	if (--game.wave_timer > 0)
		return;
	game.wave++;
	game.spawn_left = wave_size(game.wave);
	game.spawn_timer = 1;
	game.wave_timer = -1;
	msg_push(MSG_BAD, "Wave %d: %d creeps incoming%s", (int)game.wave,
	    (int)game.spawn_left, game.wave >= 3 ? ", brutes among them" : "");
}

/* Creeps walk left in file and hit the hero when next to him. */
static void creeps_update(void)
{
	for (int i = 0; i < entity_count && game.state == STATE_PLAYING; i++) {
		struct entity *e = &entities[i];
		int brute = e->kind == ENT_BRUTE;
		if (!e->alive || !is_creep(e->kind))
			continue;
		if (e->cooldown > 0)
			e->cooldown--;
		if (e->x == hero.x + 1) {
			if (e->cooldown == 0) {
				e->cooldown = brute ? BRUTE_RATE : CREEP_RATE;
				hero_hurt(e->damage - 1 + roll(3),
				    brute ? "brute" : "creep");
			}
			continue;
		}
		if (--e->move_timer > 0)
			continue;
		e->move_timer = brute ? BRUTE_STEP : CREEP_STEP;
		if (e->x - 1 > hero.x && creep_at(e->x - 1) == NULL) {
			e->x--;
			if (e->x == hero.x + 1 && e->cooldown < 8)
				e->cooldown = 8; /* a wind-up before the first hit */
		}
	}
}

/* Towers bolt the hero whenever he is in range. */
static void towers_update(void)
{
	for (int i = 0; i < entity_count && game.state == STATE_PLAYING; i++) {
		struct entity *e = &entities[i];
		if (!e->alive || e->kind != ENT_TOWER)
			continue;
		if (e->cooldown > 0)
			e->cooldown--;
		if (abs(hero.x - e->x) > TOWER_RANGE || e->cooldown > 0)
			continue;
		e->cooldown = TOWER_RATE;
		e->flash = 5;
		hero_hurt(e->damage - 3 + roll(7), "tower");
	}
}

/* Age effects and corpses; drop spent corpses, keeping the order. */
static void entities_settle(void)
{
	int j = 0;

	for (int i = 0; i < entity_count; i++) {
		struct entity *e = &entities[i];
		if (e->flash > 0)
			e->flash--;
		if (!e->alive && is_creep(e->kind) && --e->cooldown <= 0)
			continue;
		if (j != i)
			entities[j] = *e;
		j++;
	}
	if (j < entity_count)
		memset(&entities[j], 0, (size_t)(entity_count - j) * sizeof *entities);
	entity_count = j;
}

/* Advance the game by one tick. */
void game_tick(void)
{
	game.tick++;
	entities_clamp();
	if (game.state != STATE_PLAYING)
		return;
	msg_expire();
	if (hero.cooldown > 0)
		hero.cooldown--;
	if (game.hit_timer > 0)
		game.hit_timer--;
	waves_update();
	creeps_update();
	towers_update();
	entities_settle();
}

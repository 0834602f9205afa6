/* sim.c: the graphical demo's simulation, one tick a frame: the player
 * moved by held keys, coins to pick up, enemies that bounce and hurt, shots
 * fired at the mouse, sparks where they land. Randomness comes from one
 * xorshift generator seeded at start (getrandom(), or --seed). */
#include "gfx-game.h"

#include <math.h>
#include <string.h>

struct player player;
struct cursor cursor;
struct world world;
struct entity entities[MAX_ENTITIES];
int32_t entity_count;

static uint64_t rng_state;

/* The next 32 random bits (xorshift64*). */
static uint32_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	world.rng_draws++;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

/* A random integer in [lo, hi]. */
static int rng_range(int lo, int hi)
{
	return lo + (int)(rng_next() % (uint32_t)(hi - lo + 1));
}

/* A free slot (a dead entity's or a new one), or NULL when full. */
static struct entity *entity_new(void)
{
	for (int i = 0; i < entity_count; i++)
		if (!entities[i].alive)
			return &entities[i];
	if (entity_count < MAX_ENTITIES)
		return &entities[entity_count++];
	return NULL;
}

/* A coin or an enemy at a random place away from the player. */
static void spawn(void)
{
	struct entity *e = entity_new();
	if (e == NULL)
		return;
	memset(e, 0, sizeof *e);
	e->alive = 1;
	e->ttl = -1;
	do {
		e->x = (float)rng_range(20, GFX_W - 20);
		e->y = (float)rng_range(HUD_H + 20, GFX_H - 20);
	} while (fabsf(e->x - player.x) < 80 && fabsf(e->y - player.y) < 80);
	if (rng_range(0, 2) == 0) {
		float speed = 1.0f + 0.5f * (float)world.level;
		e->kind = ENT_ENEMY;
		e->size = 18;
		e->vx = rng_range(0, 1) ? speed : -speed;
		e->vy = (float)rng_range(-10, 10) / 10.0f * speed;
	} else {
		e->kind = ENT_COIN;
		e->size = 10;
	}
}

/* A few sparks flying out of (X, Y). */
static void sparks(float x, float y, int n)
{
	for (int i = 0; i < n; i++) {
		struct entity *e = entity_new();
		if (e == NULL)
			return;
		memset(e, 0, sizeof *e);
		e->kind = ENT_SPARK;
		e->alive = 1;
		e->x = x;
		e->y = y;
		e->vx = (float)rng_range(-30, 30) / 10.0f;
		e->vy = (float)rng_range(-30, 30) / 10.0f;
		e->size = 4;
		e->ttl = rng_range(10, 25);
	}
}

/* Set up a new game; SEED fixes every random choice it makes. */
void sim_init(uint64_t seed)
{
	world.seed = seed;
	rng_state = seed ? seed : 0x9E3779B97F4A7C15ULL;
	cursor.radius = START_RADIUS;
	sim_restart();
}

/* Start again: the world cleared, the generator carrying on. */
void sim_restart(void)
{
	uint64_t seed = world.seed;
	uint32_t draws = world.rng_draws;

	memset(&world, 0, sizeof world);
	world.seed = seed;
	world.rng_draws = draws;
	memset(&player, 0, sizeof player);
	player.x = (float)(GFX_W - PLAYER_SIZE) / 2;
	player.y = (float)(GFX_H + HUD_H - PLAYER_SIZE) / 2;
	player.lives = START_LIVES;
	memset(entities, 0, sizeof entities);
	entity_count = 0;
	world.spawn_timer = SPAWN_TICKS;
	for (int i = 0; i < 4; i++)
		spawn();
}

void sim_action(enum action a)
{
	switch (a) {
	case ACT_DASH:
		if (world.state == STATE_PLAYING && player.dash == 0)
			player.dash = DASH_TICKS;
		break;
	case ACT_PAUSE:
		if (world.state != STATE_OVER)
			world.state = world.state == STATE_PAUSED ?
			    STATE_PLAYING : STATE_PAUSED;
		break;
	case ACT_RESTART:
		if (world.state == STATE_OVER)
			sim_restart();
		break;
	default:
		break;
	}
}

/* A mouse button pressed at (X, Y): the left one shoots there, killing
 * the enemies within the cursor's radius; the right one drops a coin. */
void sim_click(int x, int y, int button)
{
	if (world.state != STATE_PLAYING)
		return;
	if (button == 3) {
		cursor.right_clicks++;
		if (world.score >= 5) {
			struct entity *e = entity_new();
			if (e != NULL) {
				memset(e, 0, sizeof *e);
				e->kind = ENT_COIN;
				e->alive = 1;
				e->ttl = -1;
				e->x = (float)x;
				e->y = (float)y;
				e->size = 10;
				world.score -= 5;
			}
		}
		return;
	}
	if (button != 1)
		return;
	cursor.clicks++;
	int hit = 0;
	for (int i = 0; i < entity_count; i++) {
		struct entity *e = &entities[i];
		float dx = e->x - (float)x, dy = e->y - (float)y;
		float r = (float)(cursor.radius + e->size / 2);
		if (!e->alive || e->kind != ENT_ENEMY || dx * dx + dy * dy > r * r)
			continue;
		e->alive = 0;
		world.kills++;
		world.score += 25;
		hit = 1;
		sparks(e->x, e->y, 6);
	}
	if (hit)
		cursor.shots_hit++;
	else
		sparks((float)x, (float)y, 2);
}

/* The wheel makes the shot's reach larger (up) or smaller (down). */
void sim_wheel(int dy)
{
	cursor.radius += 4 * dy;
	if (cursor.radius < 8)
		cursor.radius = 8;
	if (cursor.radius > 80)
		cursor.radius = 80;
}

/* Whether the player's square overlaps entity E. */
static int touches(const struct entity *e)
{
	float h = (float)e->size / 2;
	return e->x + h > player.x && e->x - h < player.x + PLAYER_SIZE &&
	    e->y + h > player.y && e->y - h < player.y + PLAYER_SIZE;
}

static void move_player(void)
{
	float speed = player.dash > 0 ? 3 * PLAYER_SPEED : PLAYER_SPEED;

	player.vx = player.vy = 0;
	if (world.held & 1)
		player.vx -= speed, player.facing = 2;
	if (world.held & 2)
		player.vx += speed, player.facing = 0;
	if (world.held & 4)
		player.vy -= speed, player.facing = 3;
	if (world.held & 8)
		player.vy += speed, player.facing = 1;
	player.x += player.vx;
	player.y += player.vy;
	if (player.x < 0)
		player.x = 0;
	if (player.x > GFX_W - PLAYER_SIZE)
		player.x = GFX_W - PLAYER_SIZE;
	if (player.y < HUD_H)
		player.y = HUD_H;
	if (player.y > GFX_H - PLAYER_SIZE)
		player.y = GFX_H - PLAYER_SIZE;
	if (player.dash > 0)
		player.dash--;
	if (player.invuln > 0)
		player.invuln--;
}

/* One entity's tick: enemies bounce off the walls and hurt, coins are
 * picked up, sparks fade. */
static void move_entity(struct entity *e)
{
	if (!e->alive)
		return;
	e->x += e->vx;
	e->y += e->vy;
	if (e->kind == ENT_SPARK) {
		if (--e->ttl <= 0)
			e->alive = 0;
		return;
	}
	if (e->x < 10 || e->x > GFX_W - 10)
		e->vx = -e->vx;
	if (e->y < HUD_H + 10 || e->y > GFX_H - 10)
		e->vy = -e->vy;
	if (!touches(e))
		return;
	if (e->kind == ENT_COIN) {
		e->alive = 0;
		world.coins++;
		world.score += 10;
	} else if (e->kind == ENT_ENEMY && player.invuln == 0) {
		world.hits++;
		player.invuln = 60;
		if (--player.lives <= 0)
			world.state = STATE_OVER;
	}
}

/* One tick of the world; nothing moves while paused or over. */
void sim_tick(void)
{
	if (world.state != STATE_PLAYING)
		return;
	world.tick++;
	move_player();
	for (int i = 0; i < entity_count; i++)
		move_entity(&entities[i]);
	world.level = world.score / 100;
	if (--world.spawn_timer <= 0) {
		world.spawn_timer = SPAWN_TICKS;
		spawn();
	}
}

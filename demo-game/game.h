/* game.h: the demo game's state, kept in plain global variables as a
 * closed-source game would, and the interface between its simulation
 * (game.c), its drawing (draw.c) and its main loop (demo-game.c). */
#ifndef DEMO_GAME_H
#define DEMO_GAME_H

#include <stdint.h>

#define TICK_HZ 30            /* simulation ticks a second */
#define LANE_W 68             /* lane cells; with its two walls, 70 columns */
#define MAX_ENTITIES 64
#define MSG_MAX 8             /* combat log lines kept */
#define MSG_TEXT 56
#define HERO_START_X 2
#define HERO_RANGE 2          /* cells the hero's strike reaches */
#define TOWER_RANGE 7         /* cells a tower's bolt reaches */

/* entity.kind; a brute is a heavy creep */
enum entity_kind { ENT_CREEP = 1, ENT_TOWER = 2, ENT_BRUTE = 3 };

/* game.state */
enum game_state {
	STATE_PLAYING = 0,
	STATE_PAUSED = 1,
	STATE_OVER = 2,   /* the hero fell; 'r' starts again */
	STATE_WON = 3     /* every tower of the stage is down; 'r' goes on */
};

/* msg.kind: how a log line is coloured */
enum msg_kind { MSG_INFO = 0, MSG_GOOD = 1, MSG_BAD = 2, MSG_LOOT = 3 };

/* What a key asks for; the main loop maps keys to these. */
enum action {
	ACT_NONE, ACT_LEFT, ACT_RIGHT, ACT_ATTACK, ACT_UPGRADE,
	ACT_PAUSE, ACT_RESTART, ACT_QUIT
};

struct hero {
	int32_t x;         /* lane cell, 0 .. LANE_W-1 */
	int32_t hp;
	int32_t max_hp;
	int32_t gold;
	int32_t level;
	int32_t xp;
	int32_t xp_next;   /* xp needed for the next level */
	int32_t score;
	int32_t attack;
	int32_t cooldown;  /* ticks until the hero may strike again */
};

struct entity {
	int32_t kind;        /* enum entity_kind */
	int32_t x;
	int32_t hp;
	int32_t max_hp;
	int32_t alive;       /* 0: a corpse (creep) or rubble (tower) */
	int32_t cooldown;    /* ticks until it may attack; a corpse's ticks left */
	int32_t damage;      /* per hit */
	int32_t move_timer;  /* creeps: ticks until the next step */
	int32_t flash;       /* ticks left of its hit or shot effect */
};

struct game {
	uint32_t tick;        /* main-loop turns since start, in every state */
	int32_t state;        /* enum game_state */
	int32_t stage;
	int32_t wave;
	int32_t spawn_left;   /* creeps of this wave still to come */
	int32_t spawn_timer;  /* ticks until the next spawn */
	int32_t wave_timer;   /* ticks of rest before the next wave; -1 mid-wave */
	int32_t towers_left;
	int32_t kills;
	int32_t upgrades;
	int32_t hit_x;        /* the hero's last strike, for the effects row */
	int32_t hit_amount;
	int32_t hit_timer;
	int32_t hit_crit;
	uint32_t seed;        /* what srand() was given */
	uint32_t rng_draws;   /* rand() calls so far */
	uint64_t regen_seen;  /* regen_ticks when the main thread last looked */
};

/* A combat log line on the heap; newest first, at most MSG_MAX. */
struct msg {
	struct msg *next;
	uint32_t tick;       /* game.tick when it was said */
	int32_t kind;        /* enum msg_kind */
	int32_t ttl;         /* ticks of play left before it is dropped */
	char text[MSG_TEXT];
};

extern struct hero hero;
extern struct entity entities[MAX_ENTITIES];
extern int entity_count;
extern struct game game;
extern struct msg *messages;
/* Bumped every 100 ms by the regen thread; read by the main thread. */
extern _Atomic unsigned long regen_ticks;

/* game.c: the simulation; advances only per tick, from rand() and keys. */
void game_new(void);
void game_action(enum action act);
void game_regen(unsigned long seen);
void game_tick(void);
int32_t game_upgrade_cost(void);
int32_t game_creeps_alive(void);
void msg_clear(void);

/* draw.c: rendering with curses, clipped to any terminal size. */
void draw_init(void);
void draw_frame(void);

#endif

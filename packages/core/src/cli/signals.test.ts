import { EventEmitter } from 'node:events'

import { describe, expect, it, vi } from 'vitest'

import { onStopSignal } from './signals.ts'
import type { SignalTarget } from './signals.ts'

function fakeProcess(): EventEmitter & SignalTarget & { exits: number[] } {
  const exits: number[] = []
  return Object.assign(new EventEmitter(), { exits, exit: (code: number) => void exits.push(code) })
}

describe('onStopSignal(stop, options)', () => {
  it.each([['SIGTERM'], ['SIGINT']] as const)('calls stop once on %s', (signal) => {
    const target = fakeProcess()
    const stop = vi.fn()
    onStopSignal(stop, { repeat: 'ignore', target })
    target.emit(signal, signal)
    expect(stop).toHaveBeenCalledExactlyOnceWith(signal)
  })

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    'exits with 128 + the signal number on a second %s when repeat is force',
    (signal, code) => {
      const target = fakeProcess()
      const stop = vi.fn()
      onStopSignal(stop, { repeat: 'force', target })
      target.emit('SIGTERM', 'SIGTERM')
      target.emit(signal, signal)
      expect(stop).toHaveBeenCalledTimes(1)
      expect(target.exits).toEqual([code])
    },
  )

  it('ignores later signals when repeat is ignore', () => {
    const target = fakeProcess()
    const stop = vi.fn()
    onStopSignal(stop, { repeat: 'ignore', target })
    target.emit('SIGINT', 'SIGINT')
    target.emit('SIGINT', 'SIGINT')
    target.emit('SIGTERM', 'SIGTERM')
    expect(stop).toHaveBeenCalledTimes(1)
    expect(target.exits).toEqual([])
  })

  it('removes its handlers', () => {
    const target = fakeProcess()
    const remove = onStopSignal(vi.fn(), { repeat: 'force', target })
    expect(target.listenerCount('SIGTERM')).toBe(1)
    expect(target.listenerCount('SIGINT')).toBe(1)
    remove()
    expect(target.listenerCount('SIGTERM')).toBe(0)
    expect(target.listenerCount('SIGINT')).toBe(0)
  })
})

defmodule Weatherstation.BME280Test do
  @moduledoc "The datasheet's compensation, checked against its own worked example."
  use ExUnit.Case, async: true
  alias Weatherstation.BME280

  # BMP280 datasheet, section 3.12 (same formulas and T/P words as the BME280).
  @calib %{
    t1: 27504,
    t2: 26435,
    t3: -1000,
    p1: 36477,
    p2: -10685,
    p3: 3024,
    p4: 2855,
    p5: 140,
    p6: -7,
    p7: 15500,
    p8: -14600,
    p9: 6000
  }

  test "temperature: adc_T 519888 is 25.08 °C, t_fine 128422" do
    assert BME280.temperature(519_888, @calib) == {128_422, 2508}
  end

  test "pressure: adc_P 415148 at t_fine 128422 is 100653 Pa" do
    assert div(BME280.pressure(415_148, 128_422, @calib), 256) in 100_653..100_654
  end

  test "calibration unpacks dig_H4/dig_H5 from their shared nibbles" do
    tp = :binary.copy(<<0>>, 25) <> <<75>>
    h = <<0x6A, 0x01, 0x00, 0x13, 0x25, 0x03, 0x1E>>
    c = BME280.calibration(tp, h)
    assert {c.h1, c.h2, c.h3, c.h4, c.h5, c.h6} == {75, 362, 0, 0x135, 0x032, 30}
  end

  # Calibration bytes and results from the Rust model's own datasheet compensation
  # (kos_sim_devices::bme280::compensate), with dig_H3 = 27, dig_H5 = -17 and
  # dig_H6 = -12, so the signed, nibble-packed humidity words are all exercised.
  @tp <<112, 107, 67, 103, 24, 252, 125, 142, 67, 214, 208, 11, 39, 11, 140, 0, 249, 255, 140, 60,
        248, 198, 112, 23, 0, 75>>
  @h <<106, 1, 27, 19, 249, 254, 244>>

  test "from register bytes to readings, as the Rust reference computes them" do
    c = BME280.calibration(@tp, @h)
    assert {c.h1, c.h2, c.h3, c.h4, c.h5, c.h6} == {75, 362, 27, 313, -17, -12}

    for {adc_t, adc_p, adc_h, t_fine, centi, pa_q8, rh_q10} <- [
          {519_888, 415_148, 26_000, 128_422, 2508, 25_767_233, 33_581},
          {500_000, 400_000, 28_000, 96_494, 1885, 26_184_692, 44_738},
          {540_000, 430_000, 24_000, 160_661, 3138, 25_352_992, 22_515}
        ] do
      assert BME280.temperature(adc_t, c) == {t_fine, centi}
      assert BME280.pressure(adc_p, t_fine, c) == pa_q8
      assert BME280.humidity(adc_h, t_fine, c) == rh_q10
    end
  end
end
